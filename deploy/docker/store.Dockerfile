# syntax=docker/dockerfile:1
# Image of a Cohort store node: cohort-store, cohortctl (the cluster client; the Helm
# chart's `helm test` runs it from this image) and the default feature registry.
#
# Build from the repository root (the context needs the sources; see .dockerignore there):
#   docker build -f deploy/docker/store.Dockerfile -t cohort/store:0.1.0 .
# Run (the chart passes these flags; see helm/cohort):
#   docker run -v cohort-data:/var/lib/cohort -v $PWD/conf:/etc/cohort:ro cohort/store:0.1.0 \
#     --data_dir=/var/lib/cohort/data --listen=0.0.0.0:7100 --node_id=store-0 \
#     --shard_map=/etc/cohort/shard_map.json

ARG BUILD_IMAGE=debian:bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

# --- build: compilers and -dev packages (scripts/install-deps.sh), then cmake -------------
FROM ${BUILD_IMAGE} AS build
ENV DEBIAN_FRONTEND=noninteractive
WORKDIR /src
# Dependencies first: this layer is reused while only the sources change.
COPY scripts/install-deps.sh scripts/install-deps.sh
RUN scripts/install-deps.sh && rm -rf /var/lib/apt/lists/*
COPY . .
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release \
 && cmake --build /build -j"$(nproc)" --target cohort-store cohortctl
# The binaries, the registry that cohort-store looks for next to itself, and the Debian
# packages of the shared libraries the binaries load (the runtime stage installs those).
RUN install -d /out/bin \
 && install -m 0755 /build/cohort-store /build/tools/cohortctl/cohortctl /out/bin/ \
 && install -m 0644 /build/features.registry /out/bin/features.registry \
 && deploy/docker/runtime-packages.sh /out/bin/cohort-store /out/bin/cohortctl \
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
 && install -d -o cohort -g cohort -m 0750 /var/lib/cohort
COPY --from=build /out/bin/ /opt/cohort/bin/
ENV PATH=/opt/cohort/bin:${PATH}
WORKDIR /var/lib/cohort
USER 10001:10001
# 7100: gRPC (cohort.v1.FeatureStore, health, reflection); 9100: Prometheus /metrics.
EXPOSE 7100 9100
ENTRYPOINT ["/opt/cohort/bin/cohort-store"]
