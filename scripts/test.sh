#!/usr/bin/env bash
# Builds Cohort and runs the whole test suite (unit, multi-process, Python client).
# Usage: scripts/test.sh [--sanitize]    (build tree: build/ or build-asan/)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"

build="$root/build"
cmake_args=(-DCMAKE_BUILD_TYPE=Release)
if [[ "${1:-}" == "--sanitize" ]]; then
  build="$root/build-asan"
  cmake_args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DCOHORT_SANITIZE=ON)
fi
jobs=$(nproc)
cmake -S "$root" -B "$build" -G Ninja -DCOHORT_WERROR=ON "${cmake_args[@]}" >/dev/null
cmake --build "$build" -j "$jobs"
cd "$build"
ctest --output-on-failure -j "$jobs" --timeout 600
