#!/usr/bin/env bash
# One command for the benchmark (docs/benchmarks.md): builds, starts a local cluster of store
# shards, a loopback Redis and a cohort-scorer on models trained for the run, loads the same
# dataset into the stores and Redis (and checkpoints the stores for the in-process RocksDB
# baseline), runs every workload (closed loop, then open loop at half of the measured peak),
# measures streaming ingest into a one-node cluster, runs db_bench fillrandom, and writes a
# results table with the targets.
#
# Usage: bench/run.sh [--quick] [--customers N] [--days D] [--build DIR] [--out DIR]
#                     [--nodes N] [--concurrency C] [--train_customers N]
#                     [--ingest_batch B] [--streams S] [--scale_results FILE]
#                     [--block_cache_mb MB]
#   default: 1,000,000 customers, 10 s runs;  --quick: 100,000 customers, 4 s runs.
#   --train_customers: customers the models are trained on (default 20000; docs/benchmarks.md);
#   --ingest_batch / --streams: events per IngestStream request / concurrent streams of the
#   one-node ingest run (default 1000 / 4); --scale_results: a bench/scale.sh results file
#   whose sizes are added to the table and its targets; --block_cache_mb: each store node's
#   block cache (default: cohort-store's 256 MiB; give one node what three would have).
# Results: <out>/results.jsonl (one JSON object per run), <out>/results.md (the table).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
customers=1000000
days=30
duration=10s
warmup=2s
build="$root/build"
out="$root/var/bench"
nodes=3
concurrency=8
train_customers=20000
ingest_batch=1000
grouped=10  # events per customer of the grouped one-node ingest run
streams=4
scale_results=""
block_cache_mb=""
while (($#)); do
  case "$1" in
    --quick) customers=100000; duration=4s; warmup=1s ;;
    --customers) customers=$2; shift ;;
    --days) days=$2; shift ;;
    --build) build=$2; shift ;;
    --out) out=$2; shift ;;
    --nodes) nodes=$2; shift ;;
    --concurrency) concurrency=$2; shift ;;
    --train_customers) train_customers=$2; shift ;;
    --ingest_batch) ingest_batch=$2; shift ;;
    --streams) streams=$2; shift ;;
    --scale_results) scale_results=$(realpath "$2"); shift ;;
    --block_cache_mb) block_cache_mb=$2; shift ;;
    -h|--help) sed -n 2,19p "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
mkdir -p "$out"
out=$(cd "$out" && pwd)
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"

"$root/scripts/install-deps.sh"
bench_build cohort-store cohort-datagen cohortctl cohort-bench cohort-train cohort-scorer

cluster="$out/cluster"
cluster1="$out/cluster-1node"
redis_pid=""
cleanup() {
  cluster_down "$cluster"
  cluster_down "$cluster1"
  if [[ -n "$redis_pid" ]]; then kill "$redis_pid" 2>/dev/null || true; wait "$redis_pid" 2>/dev/null || true; fi
}
trap cleanup EXIT

echo "== dataset: $customers customers, $days days of events"
rm -rf "$cluster" "$cluster1" "$out/checkpoints" "$out/data" "$out/redis" "$out/db_bench" \
  "$out/models"
mkdir -p "$out/redis"
generate_dataset "$customers" "$days" "$out/data"
cluster_up "$cluster" "$nodes"
map="$cluster/shard_map.json"
import_dataset "$map" "$out/data"
load_seconds=$import_seconds
# A bulk load leaves each customer's events and attributes as merge operands in different
# levels until a compaction folds them into one record (docs/operations.md); an operator
# compacts after one, and so does the benchmark.
echo "== compacting the stores (cohortctl compact)"
compact_start=$(date +%s.%N)
"$ctl" compact --shard_map="$map"
compact_seconds=$(python3 -c "print(round($(date +%s.%N) - $compact_start, 1))")

# Training data. cohort-train evaluates on the 90 days after its cutoff, so it needs more than
# 90 days of events: with --days >= 120 the models are trained on the first --train_customers
# customers of the benchmark's own CSV; otherwise on the same generator's first
# --train_customers customers over 365 days (same seed, id scheme and catalogue).
mkdir -p "$out/data/train"
if ((days >= 120)); then
  awk -F, -v n="$train_customers" 'NR == 1 { print; next }
    { id = substr($2, length($2) - 7) + 0; if (id >= n) exit; print }' \
    "$out/data/events.csv" >"$out/data/train/events.csv"
  train_source="the first $train_customers customers of the benchmark dataset ($days days)"
else
  "$build/tools/datagen/cohort-datagen" --customers="$train_customers" --days=365 \
    --events_out="$out/data/train/events.csv"
  train_source="$train_customers customers of the same generator over 365 days (the benchmark's $days days are too few for the 90-day evaluation window)"
fi
rm -f "$out/data/events.csv" "$out/data/attributes.csv"
echo "== training the models on $train_source"
train_start=$(date +%s.%N)
"$build/tools/train/cohort-train" --events_csv="$out/data/train/events.csv" \
  --models_dir="$out/models" --progress=false >"$out/train.log" 2>&1 ||
  { tail -20 "$out/train.log" >&2; exit 1; }
train_seconds=$(python3 -c "print(round($(date +%s.%N) - $train_start, 1))")
rm -rf "$out/data/train"
"$root/deploy/local/cohort-local" scorer --dir "$cluster" --build "$build" --models_dir "$out/models"
scorer=$(cat "$cluster/scorer/port")

"$bench" --make_checkpoints="$out/checkpoints" --shard_map="$map"

redis_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
redis-server --bind 127.0.0.1 --port "$redis_port" --save "" --appendonly no \
  --dir "$out/redis" --daemonize no --loglevel warning >"$out/redis/log" 2>&1 &
redis_pid=$!
for _ in $(seq 100); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
redis="127.0.0.1:$redis_port"
echo "== loading Redis (one hash per customer) from the cluster's feature vectors"
"$bench" --load_redis --shard_map="$map" --redis="$redis" | tee "$out/redis_load.json"
bytes=$(python3 -c 'import json,sys; print(max(16, int(json.load(open(sys.argv[1]))["bytes_per_customer"])))' "$out/redis_load.json")

results="$out/results.jsonl"
: >"$results"
common=(--customers="$customers" --warmup="$warmup" --duration="$duration" --json_out="$results"
  --shard_map="$map" --redis="$redis" --checkpoints="$out/checkpoints" --registry="$registry"
  --scorer="$scorer")
run() { "$bench" "${common[@]}" "$@" >/dev/null; }

echo "== GetFeatures, closed loop, concurrency $concurrency"
for keys in uniform zipfian; do
  for batch in 1 10 100; do
    for target in cohort redis inproc; do
      run --target=$target --batch=$batch --keys=$keys --concurrency="$concurrency" --label=closed
    done
  done
done
# Cohort rows use the packed value layout (cohort-bench --layout); this one the message per
# value layout, for comparison.
run --target=cohort --batch=100 --keys=uniform --concurrency="$concurrency" --layout=messages \
  --label=closed_messages
# Memory after the read runs (block caches warm): every store node's RSS, and Redis's.
store_rss_mb=$(for f in "$cluster"/store-*/pid; do cat "/proc/$(cat "$f")/status"; done |
  awk '/^VmRSS:/ { kb += $2 } END { printf "%.0f", kb / 1024 }')
redis_rss_mb=$(redis-cli -p "$redis_port" info memory |
  awk -F: '/^used_memory_rss:/ { printf "%.0f", $2 / 1048576 }')
echo "== Score (segmentation + propensity + recommendations k=10), closed loop, concurrency $concurrency"
# Same seed, keys and concurrency as the GetFeatures rows: the same customers in the same order.
# The scorer's own histograms, scraped around each run, split its time (bench/scorer_breakdown.py).
scorer_metrics=$(cat "$cluster/scorer/metrics_port")
breakdown="$out/scorer_breakdown.jsonl"
: >"$breakdown"
for batch in 1 10; do
  python3 "$root/bench/scorer_breakdown.py" snapshot "$scorer_metrics" "$out/metrics.before"
  run --target=scorer --batch=$batch --keys=uniform --concurrency="$concurrency" --label=closed
  python3 "$root/bench/scorer_breakdown.py" snapshot "$scorer_metrics" "$out/metrics.after"
  python3 "$root/bench/scorer_breakdown.py" delta "$out/metrics.before" "$out/metrics.after" \
    --batch="$batch" >>"$breakdown"
done
rm -f "$out/metrics.before" "$out/metrics.after"

echo "== open loop at half of the closed-loop peak (latency from the intended send time)"
# (target, workload, batch) measured at 50% of its own closed-loop throughput; Redis is run at
# the rate Cohort got, so both rows carry the same load.
for spec in "cohort get_features 1" "cohort get_features 100" "scorer score 1"; do
  read -r target workload batch <<<"$spec"
  peak=$(result_field "$results" closed "$target" "$workload" "$batch" uniform throughput_ops_s)
  rate=$(python3 -c "print(max(1.0, round($peak / 2, 1)))")
  run --target="$target" --workload="$workload" --batch="$batch" --mode=open --rate="$rate" \
    --concurrency=32 --label=half_peak
  if [[ $target == cohort ]]; then
    run --target=redis --batch="$batch" --mode=open --rate="$rate" --concurrency=32 --label=half_peak
  fi
done

echo "== ingest, 100 events per request: unary Ingest via the router, and IngestStream"
run --target=cohort --workload=ingest --batch=100 --concurrency=4 --label=ingest
run --target=cohort --workload=ingest_stream --batch=100 --concurrency=4 --label=ingest

# one_node_ingest LABEL [cohort-bench flags...]: streaming ingest into a fresh one-node cluster.
one_node_ingest() {
  local label=$1
  shift
  rm -rf "$cluster1"
  cluster_up "$cluster1" 1
  "$bench" --customers="$customers" --warmup="$warmup" --duration="$duration" \
    --json_out="$results" --shard_map="$cluster1/shard_map.json" --target=cohort \
    --workload=ingest_stream --batch="$ingest_batch" --concurrency="$streams" \
    --label="$label" "$@" >/dev/null
  cluster_down "$cluster1"
}
echo "== one-node streaming ingest: $streams streams, $ingest_batch events per request, sync durability"
# The main cluster and the scorer are stopped first, so the node has the machine to itself.
cluster_down "$cluster"
one_node_ingest one_node
echo "== the same, $grouped events per customer in a row (a session arriving together)"
one_node_ingest one_node_grouped --events_per_customer="$grouped"
event_bytes=$("$bench" --print_event_bytes | python3 -c 'import json,sys; print(int(round(json.load(sys.stdin)["event_bytes"])))')

echo "== db_bench fillrandom, ${bytes}-byte values (a customer's feature vector)"
fillrandom() {  # fillrandom NAME NUM VALUE_BYTES [db_bench flags...]
  local name=$1 num=$2 value=$3
  shift 3
  db_bench --benchmarks=fillrandom --num="$num" --value_size="$value" --key_size=16 \
    --db="$out/$name" --threads=1 --compression_type=none "$@" 2>&1 |
    tee "$out/$name.txt" | grep -E "^fillrandom"
  rm -rf "${out:?}/$name"
}
fillrandom db_bench $((customers < 1000000 ? customers : 1000000)) "$bytes" --disable_wal=0 --sync=0
fillrandom db_bench_sync $((customers < 100000 ? customers : 100000)) "$bytes" --sync=1 --batch_size=100
echo "== db_bench fillrandom, ${event_bytes}-byte values (an ingested event), as the one-node ingest"
fillrandom db_bench_event 500000 "$event_bytes" --disable_wal=0 --sync=0
fillrandom db_bench_event_sync 500000 "$event_bytes" --sync=1 --batch_size="$ingest_batch"

python3 "$root/bench/table.py" "$results" --customers "$customers" --nodes "$nodes" \
  --load_seconds "$load_seconds" --compact_seconds "$compact_seconds" \
  --store_rss_mb "$store_rss_mb" --redis_rss_mb "$redis_rss_mb" --db_bench "$out/db_bench.txt" \
  --db_bench_sync "$out/db_bench_sync.txt" --db_bench_event "$out/db_bench_event.txt" \
  --db_bench_event_sync "$out/db_bench_event_sync.txt" --event_bytes "$event_bytes" \
  --ingest_batch "$ingest_batch" --training "$train_source, $train_seconds s" \
  --scorer_breakdown "$breakdown" \
  ${scale_results:+--scale "$scale_results"} | tee "$out/results.md"
