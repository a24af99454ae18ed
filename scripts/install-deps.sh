#!/usr/bin/env bash
# Installs Cohort's build and test dependencies from Debian bookworm packages.
# Safe to run any number of times: it installs only what is missing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config ccache git
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  librocksdb-dev rocksdb-tools libabsl-dev prometheus-cpp-dev
  libgtest-dev libgmock-dev
  libeigen3-dev libxgboost-dev
  python3 python3-grpcio python3-protobuf
  clang-format
  prometheus
  redis-server libhiredis-dev
  libjemalloc-dev libbenchmark-dev
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
