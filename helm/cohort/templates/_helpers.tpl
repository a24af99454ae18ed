{{/*
Chart name, cut to 63 characters (a DNS label).
*/}}
{{- define "cohort.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name: release-chart (or the release name when it already contains the chart name),
cut to 63 characters. Object names append "-store", "-scorer", ... to it.
*/}}
{{- define "cohort.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Chart label value: name-version.
*/}}
{{- define "cohort.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels of every object.
*/}}
{{- define "cohort.labels" -}}
helm.sh/chart: {{ include "cohort.chart" . }}
{{ include "cohort.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: cohort
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
Selector labels of the release (add app.kubernetes.io/component to select one tier).
*/}}
{{- define "cohort.selectorLabels" -}}
app.kubernetes.io/name: {{ include "cohort.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
Name of the ServiceAccount the pods run as.
*/}}
{{- define "cohort.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "cohort.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
Names of the objects. Each component suffix is at most 16 characters, so the full name is
cut to leave room; pod names of the StatefulSet add "-<ordinal>".
*/}}
{{- define "cohort.base" -}}
{{- include "cohort.fullname" . | trunc 40 | trimSuffix "-" }}
{{- end }}
{{- define "cohort.store.name" -}}
{{- printf "%s-store" (include "cohort.base" .) }}
{{- end }}
{{- define "cohort.store.headlessName" -}}
{{- printf "%s-store-headless" (include "cohort.base" .) }}
{{- end }}
{{- define "cohort.scorer.name" -}}
{{- printf "%s-scorer" (include "cohort.base" .) }}
{{- end }}
{{- define "cohort.shardMap.name" -}}
{{- printf "%s-shard-map" (include "cohort.base" .) }}
{{- end }}
{{- define "cohort.registry.name" -}}
{{- if .Values.registry.existingConfigMap }}
{{- .Values.registry.existingConfigMap }}
{{- else }}
{{- printf "%s-registry" (include "cohort.base" .) }}
{{- end }}
{{- end }}
{{- define "cohort.models.claimName" -}}
{{- if .Values.scorer.models.persistentVolumeClaim.existingClaim }}
{{- .Values.scorer.models.persistentVolumeClaim.existingClaim }}
{{- else }}
{{- printf "%s-models" (include "cohort.base" .) }}
{{- end }}
{{- end }}

{{/*
Labels and selector labels of one component: (dict "ctx" $ "component" "store").
*/}}
{{- define "cohort.componentLabels" -}}
{{ include "cohort.labels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end }}
{{- define "cohort.componentSelectorLabels" -}}
{{ include "cohort.selectorLabels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/*
Image reference of a component: (dict "ctx" $ "image" .Values.store.image).
*/}}
{{- define "cohort.image" -}}
{{- printf "%s:%s" .image.repository (default .ctx.Chart.AppVersion .image.tag) }}
{{- end }}

{{/*
DNS name of store pod i: (dict "ctx" $ "index" i).
*/}}
{{- define "cohort.store.podHost" -}}
{{- $ctx := .ctx }}
{{- printf "%s-%d.%s.%s.svc.%s" (include "cohort.store.name" $ctx) (int .index) (include "cohort.store.headlessName" $ctx) $ctx.Release.Namespace $ctx.Values.clusterDomain }}
{{- end }}

{{/*
The shard map (JSON, the protobuf JSON mapping of cohort.v1.ShardMap) derived from
store.replicas N and store.partitions P: node i is pod <store>-i, owns [P*i/N, P*(i+1)/N)
and is addressed by its stable DNS name through the headless Service. The same split as
ShardMap::Uniform (services/common/shard_map.cc).
*/}}
{{- define "cohort.shardMap.json" -}}
{{- $n := int .Values.store.replicas }}
{{- $p := int .Values.store.partitions }}
{{- if gt $n $p }}
{{- fail (printf "store.replicas (%d) must not exceed store.partitions (%d): every node must own at least one partition" $n $p) }}
{{- end }}
{{- $nodes := list }}
{{- range $i := until $n }}
{{- $begin := div (mul $p $i) $n }}
{{- $end := div (mul $p (add1 $i)) $n }}
{{- $id := printf "%s-%d" (include "cohort.store.name" $) $i }}
{{- $address := printf "%s:%d" (include "cohort.store.podHost" (dict "ctx" $ "index" $i)) (int $.Values.store.ports.grpc) }}
{{- $nodes = append $nodes (dict "id" $id "address" $address "ranges" (list (dict "begin" $begin "end" $end))) }}
{{- end }}
{{- dict "epoch" (int64 .Values.store.shardMap.epoch) "partitions" $p "nodes" $nodes | toPrettyJson }}
{{- end }}

{{/*
Paths inside the containers.
*/}}
{{- define "cohort.shardMap.path" -}}/etc/cohort/shard-map/shard_map.json{{- end }}
{{- define "cohort.registry.path" -}}/etc/cohort/registry/features.registry{{- end }}

{{/*
Proposed TLS flags (NOT in today's binaries; see tls in values.yaml).
cohort.tls.serverArgs: for a gRPC server; cohort.tls.clientArgs: for a client of the store.
*/}}
{{- define "cohort.tls.serverArgs" -}}
{{- if .Values.tls.enabled }}
- --tls_cert=/etc/cohort/tls/server/tls.crt
- --tls_key=/etc/cohort/tls/server/tls.key
{{- if .Values.tls.clientAuth }}
- --tls_client_ca=/etc/cohort/tls/ca/ca.crt
{{- end }}
{{- end }}
{{- end }}
{{- define "cohort.tls.clientArgs" -}}
{{- if .Values.tls.enabled }}
- --tls_ca=/etc/cohort/tls/ca/ca.crt
{{- if .Values.tls.clientAuth }}
- --tls_client_cert=/etc/cohort/tls/client/tls.crt
- --tls_client_key=/etc/cohort/tls/client/tls.key
{{- end }}
{{- end }}
{{- end }}

{{/*
TLS volumes and mounts: (dict "ctx" $ "server" bool "client" bool).
*/}}
{{- define "cohort.tls.volumes" -}}
{{- $tls := .ctx.Values.tls }}
{{- if $tls.enabled }}
{{- if .server }}
- name: tls-server
  secret:
    secretName: {{ required "tls.serverSecretName is required when tls.enabled" $tls.serverSecretName }}
    defaultMode: 288  # 0440: owner and group (fsGroup) may read
{{- end }}
- name: tls-ca
  secret:
    secretName: {{ required "tls.caSecretName is required when tls.enabled" $tls.caSecretName }}
    defaultMode: 288  # 0440: owner and group (fsGroup) may read
{{- if and .client $tls.clientAuth }}
- name: tls-client
  secret:
    secretName: {{ required "tls.clientSecretName is required when tls.clientAuth" $tls.clientSecretName }}
    defaultMode: 288  # 0440: owner and group (fsGroup) may read
{{- end }}
{{- end }}
{{- end }}
{{- define "cohort.tls.volumeMounts" -}}
{{- $tls := .ctx.Values.tls }}
{{- if $tls.enabled }}
{{- if .server }}
- name: tls-server
  mountPath: /etc/cohort/tls/server
  readOnly: true
{{- end }}
- name: tls-ca
  mountPath: /etc/cohort/tls/ca
  readOnly: true
{{- if and .client $tls.clientAuth }}
- name: tls-client
  mountPath: /etc/cohort/tls/client
  readOnly: true
{{- end }}
{{- end }}
{{- end }}

{{/*
Probes of a gRPC server: (dict "ctx" $ "port" 7100 "probes" .Values.store.probes).
Native gRPC probes (grpc.health.v1, service ""); a TCP check when TLS is on, since the
kubelet's gRPC probe cannot do TLS.
*/}}
{{- define "cohort.probes" -}}
{{- $check := dict "grpc" (dict "port" (int .port)) }}
{{- if .ctx.Values.tls.enabled }}
{{- $check = dict "tcpSocket" (dict "port" (int .port)) }}
{{- end }}
{{- range $kind := list "startup" "readiness" "liveness" }}
{{ $kind }}Probe:
  {{- toYaml $check | nindent 2 }}
  {{- toYaml (get $.probes $kind) | nindent 2 }}
{{- end }}
{{- end }}

{{/*
Default preferred anti-affinity spreading a component's pods over Kubernetes nodes:
(dict "ctx" $ "component" "store").
*/}}
{{- define "cohort.defaultAffinity" -}}
podAntiAffinity:
  preferredDuringSchedulingIgnoredDuringExecution:
    - weight: 100
      podAffinityTerm:
        topologyKey: kubernetes.io/hostname
        labelSelector:
          matchLabels:
            {{- include "cohort.componentSelectorLabels" . | nindent 12 }}
{{- end }}

{{/*
Text of the feature registry: registry.content, else the chart's files/features.registry.
*/}}
{{- define "cohort.registry.content" -}}
{{- if .Values.registry.content }}
{{- .Values.registry.content }}
{{- else }}
{{- .Files.Get "files/features.registry" }}
{{- end }}
{{- end }}
