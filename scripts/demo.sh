#!/usr/bin/env bash
# The README's first command: installs dependencies, builds, starts a local cluster of 3 store
# shards on loopback, generates a synthetic retail dataset, imports it, shows real feature
# vectors, trains the models on the same data, starts a scorer and scores three customers.
# The cluster keeps running; stop it with deploy/local/cohort-local down.
# Usage: scripts/demo.sh [customers]     (default 10000; build tree: $COHORT_BUILD_DIR or build/)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
customers=${1:-10000}
build=${COHORT_BUILD_DIR:-$root/build}
"$root/scripts/install-deps.sh"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j "$(nproc)" --target cohort-store cohort-datagen cohortctl cohort-train \
  cohort-scorer

var="$root/var"
mkdir -p "$var/data"
"$root/deploy/local/cohort-local" down --dir "$var/local" >/dev/null 2>&1 || true
rm -rf "$var/local"
"$root/deploy/local/cohort-local" up --dir "$var/local" --build "$build"
map="$var/local/shard_map.json"
ctl="$build/tools/cohortctl/cohortctl"

echo "== generating $customers customers of synthetic retail data"
"$build/tools/datagen/cohort-datagen" --customers="$customers" \
  --events_out="$var/data/events.csv" --attributes_out="$var/data/attributes.csv"
echo "== importing through the shard router, then compacting (as after any bulk load)"
"$ctl" import --shard_map="$map" --events="$var/data/events.csv" \
  --attributes="$var/data/attributes.csv" --compact
echo "== cluster status"
"$ctl" status --shard_map="$map"
echo "== features of three customers"
"$ctl" features --shard_map="$map" --ids=cust-00000001,cust-00000002,cust-00000003 \
  --features=recency_days,purchases_30d,spend_365d,aov_365d,cart_abandon_rate_90d,top_category_365d,channels_used_365d,loyalty_tier,marketing_consent
echo "== recent history of cust-00000001"
"$ctl" history --shard_map="$map" --id=cust-00000001 --limit=5
echo "== training the models offline on the same data (cohort-train, docs/training.md)"
"$build/tools/train/cohort-train" --events_csv="$var/data/events.csv" \
  --attributes_csv="$var/data/attributes.csv" --models_dir="$var/models"
echo "== starting a scorer on $var/models"
"$root/deploy/local/cohort-local" scorer --dir "$var/local" --build "$build" \
  --models_dir "$var/models"
scorer=$(cat "$var/local/scorer/port")
echo "== scores of three customers (cust-00000006 gave no marketing consent; waits up to 60 s"
echo "   for the scorer to load the models)"
"$ctl" score --scorer="$scorer" --ids=cust-00000001,cust-00000002,cust-00000006 --k=5 \
  --wait_for=60s
echo
echo "The cluster and the scorer are still running (shard map: $map, scorer: $scorer)."
echo "Try: $ctl profile --shard_map=$map --id=cust-00000042"
echo "     $ctl score --scorer=$scorer --ids=cust-00000042 --format=json"
echo "Stop it with: deploy/local/cohort-local down"
