# syntax=docker/dockerfile:1
# Image of the Cohort scorer (cohort-scorer, the stateless scoring tier, built from
# services/scoring), cohortctl for debugging, and the default feature registry, which
# cohort-scorer reads from next to itself unless --registry names another file (the Helm chart
# passes --registry=/etc/cohort/registry/features.registry, its registry ConfigMap).
# Flags: services/scoring/README.md.
#
# Build from the repository root (the context needs the sources; see .dockerignore there):
#   docker build -f deploy/docker/scorer.Dockerfile -t cohort/scorer:0.1.0 .
# Run (the chart passes these flags; see helm/cohort). Models are versioned artifacts under
# --models_dir (docs/model-artifacts.md), written there by cohort-train or copied in:
#   docker run -v cohort-models:/var/lib/cohort/models -v $PWD/conf:/etc/cohort:ro \
#     cohort/scorer:0.1.0 --listen=0.0.0.0:7200 --metrics_listen=0.0.0.0:9200 \
#     --shard_map=/etc/cohort/shard_map.json --models_dir=/var/lib/cohort/models

ARG BUILD_IMAGE=debian:bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

# --- build: compilers and -dev packages (scripts/install-deps.sh), then cmake -------------
FROM ${BUILD_IMAGE} AS build
ENV DEBIAN_FRONTEND=noninteractive
WORKDIR /src
COPY scripts/install-deps.sh scripts/install-deps.sh
RUN scripts/install-deps.sh && rm -rf /var/lib/apt/lists/*
COPY . .
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release \
 && cmake --build /build -j"$(nproc)" --target cohort-scorer cohortctl
# The binaries, the registry that cohort-scorer looks for next to itself (both in the build
# root), and the Debian packages of the shared libraries the binaries load.
RUN install -d /out/bin \
 && install -m 0755 /build/cohort-scorer /build/tools/cohortctl/cohortctl /out/bin/ \
 && install -m 0644 /build/features.registry /out/bin/features.registry \
 && deploy/docker/runtime-packages.sh /out/bin/cohort-scorer /out/bin/cohortctl \
      > /out/runtime-packages

# --- runtime: the runtime libraries only, a non-root user ----------------------------------
FROM ${RUNTIME_IMAGE} AS runtime
ENV DEBIAN_FRONTEND=noninteractive
COPY --from=build /out/runtime-packages /tmp/runtime-packages
RUN apt-get update -qq \
 && xargs -a /tmp/runtime-packages apt-get install -y -qq --no-install-recommends \
 && rm -rf /var/lib/apt/lists/* /tmp/runtime-packages
# uid/gid 10001: the chart's podSecurityContext (runAsUser/runAsGroup/fsGroup) uses them.
RUN groupadd --system --gid 10001 cohort \
 && useradd --system --uid 10001 --gid cohort --home-dir /var/lib/cohort \
      --shell /usr/sbin/nologin cohort \
 && install -d -o cohort -g cohort -m 0755 /var/lib/cohort /var/lib/cohort/models
COPY --from=build /out/bin/ /opt/cohort/bin/
ENV PATH=/opt/cohort/bin:${PATH}
WORKDIR /var/lib/cohort
USER 10001:10001
# 7200: gRPC (Score, health, reflection); 9200: Prometheus /metrics.
EXPOSE 7200 9200
ENTRYPOINT ["/opt/cohort/bin/cohort-scorer"]
