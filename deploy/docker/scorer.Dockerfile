# syntax=docker/dockerfile:1
# Image of the Cohort scorer (the stateless scoring tier), plus cohortctl for debugging.
#
# NOTE: the cohort-scorer binary comes with the scoring tier and does NOT exist in the
# repository yet, so building this image fails at the cmake step ("unknown target
# cohort-scorer") until it lands. Its announced flags: --listen (gRPC, port 7200),
# --metrics_listen (port 9200), --shard_map, --models_dir.
#
# Build from the repository root:
#   docker build -f deploy/docker/scorer.Dockerfile -t cohort/scorer:0.1.0 .

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
# Wherever the scorer's CMakeLists puts the binary: take the one executable of that name.
RUN install -d /out/bin \
 && scorer=$(find /build -type f -name cohort-scorer -perm -u+x | head -n 1) \
 && test -n "$scorer" \
 && install -m 0755 "$scorer" /build/tools/cohortctl/cohortctl /out/bin/ \
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
