#!/usr/bin/env bash
# The README's first command: installs dependencies, builds, starts a local cluster of 3 store
# shards on loopback, generates a synthetic retail dataset, imports it, and shows real
# feature vectors. The cluster keeps running; stop it with deploy/local/cohort-local down.
# Usage: scripts/demo.sh [customers]     (default 10000)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
customers=${1:-10000}
"$root/scripts/install-deps.sh"
cmake -S "$root" -B "$root/build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$root/build" -j "$(nproc)"

var="$root/var"
mkdir -p "$var/data"
"$root/deploy/local/cohort-local" down --dir "$var/local" >/dev/null 2>&1 || true
rm -rf "$var/local"
"$root/deploy/local/cohort-local" up --dir "$var/local" --build "$root/build"
map="$var/local/shard_map.json"
ctl="$root/build/tools/cohortctl/cohortctl"

echo "== generating $customers customers of synthetic retail data"
"$root/build/tools/datagen/cohort-datagen" --customers="$customers" \
  --events_out="$var/data/events.csv" --attributes_out="$var/data/attributes.csv"
echo "== importing through the shard router"
"$ctl" import --shard_map="$map" --events="$var/data/events.csv" \
  --attributes="$var/data/attributes.csv"
echo "== cluster status"
"$ctl" status --shard_map="$map"
echo "== features of three customers"
"$ctl" features --shard_map="$map" --ids=cust-00000001,cust-00000002,cust-00000003 \
  --features=recency_days,purchases_30d,spend_365d,aov_365d,cart_abandon_rate_90d,top_category_365d,channels_used_365d,loyalty_tier,marketing_consent
echo "== recent history of cust-00000001"
"$ctl" history --shard_map="$map" --id=cust-00000001 --limit=5
echo
echo "The cluster is still running (shard map: $map)."
echo "Try: $ctl profile --shard_map=$map --id=cust-00000042"
echo "Stop it with: deploy/local/cohort-local down"
