#!/usr/bin/env bash
# Makes sure node and npm (and any extra Debian packages named as arguments, e.g. unzip)
# are available; installs the missing ones from Debian bookworm with apt-get (as root, or
# through sudo). A node/npm already on PATH (e.g. from another distribution) is kept.
# Usage: tools/helm/ensure-node.sh [debian-package...]
set -euo pipefail

missing=()
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
for p in "$@"; do
  command -v "$p" >/dev/null 2>&1 || dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
    grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  exit 0
fi

echo "ensure-node: installing ${missing[*]}" >&2
sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
