#!/usr/bin/env bash
# Prints, one per line, the Debian packages that provide the shared libraries the given
# executables load (ldd), so an image's runtime stage installs exactly those and none of
# the -dev packages. Runs in the build stage of the Dockerfiles beside it (Debian bookworm).
# Usage: runtime-packages.sh EXECUTABLE...
# Exits non-zero, naming the library, if one is missing or belongs to no package.
set -euo pipefail
(($# > 0)) || { echo "usage: runtime-packages.sh EXECUTABLE..." >&2; exit 2; }

libs=$(for exe in "$@"; do
  out=$(ldd "$exe") || { echo "runtime-packages: ldd $exe failed" >&2; exit 1; }
  if grep -q "not found" <<<"$out"; then
    echo "runtime-packages: $exe: $(grep "not found" <<<"$out" | tr -s ' \t' ' ')" >&2
    exit 1
  fi
  awk '/=> \// {print $3}' <<<"$out"
done | sort -u)

for lib in $libs; do
  # With merged /usr a library may be registered under /lib or /usr/lib: try both, and
  # the symlink's target.
  owner=$(dpkg -S "$lib" 2>/dev/null || dpkg -S "/usr$lib" 2>/dev/null ||
    dpkg -S "$(readlink -f "$lib")" 2>/dev/null) || {
    echo "runtime-packages: no Debian package provides $lib" >&2
    exit 1
  }
  # "libfoo1:amd64: /usr/lib/..." -> libfoo1
  echo "${owner%%:*}"
done | sort -u
