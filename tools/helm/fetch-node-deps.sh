#!/usr/bin/env bash
# Installs the npm packages that tests/helm/validate.mjs needs (pinned in
# tests/helm/package.json: kubernetes-models, @kubernetes-models/prometheus-operator, yaml)
# into <build>/tools/helm/validate/node_modules and prints that folder's parent. Idempotent:
# nothing is fetched again while package.json is unchanged.
#
# Usage: tools/helm/fetch-node-deps.sh <build-dir>
# Exit status: 0 and the directory on stdout; 3 when the npm registry cannot be reached
# (tests skip on 3); 1 on any other failure.
set -euo pipefail

build=${1:?usage: fetch-node-deps.sh <build-dir>}
script_dir=$(cd "$(dirname "$0")" && pwd)
package_json="$script_dir/../../tests/helm/package.json"
mkdir -p "$build"
dest="$(cd "$build" && pwd)/tools/helm/validate"
stamp="$dest/.installed-from"

want=$(sha256sum "$package_json" | cut -d' ' -f1)
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" && -d "$dest/node_modules/kubernetes-models" ]]; then
  echo "$dest"
  exit 0
fi

"$script_dir/ensure-node.sh"

mkdir -p "$dest"
rm -f "$stamp"
cp "$package_json" "$dest/package.json"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# --no-package-lock: the direct dependencies are pinned exactly in package.json.
if ! (cd "$dest" && npm install --loglevel=error --no-audit --no-fund --no-package-lock \
        --omit=dev --engine-strict=false >"$log" 2>&1); then
  if grep -qiE 'ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|ECONNRESET|ERR_SOCKET_TIMEOUT|npm error network' "$log"; then
    echo "fetch-node-deps: npm registry unreachable" >&2
    exit 3
  fi
  cat "$log" >&2
  echo "fetch-node-deps: npm install failed in $dest" >&2
  exit 1
fi
echo "$want" >"$stamp"
echo "$dest"
