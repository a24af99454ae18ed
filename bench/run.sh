#!/usr/bin/env bash
# One command for the benchmark (docs/benchmarks.md): builds, starts a local cluster of
# store shards and a loopback Redis, loads the same dataset into both (and checkpoints the
# stores for the in-process RocksDB baseline), runs every workload, runs db_bench
# fillrandom, and writes a results table.
#
# Usage: bench/run.sh [--quick] [--customers N] [--days D] [--build DIR] [--out DIR]
#                     [--nodes N] [--concurrency C]
#   default: 1,000,000 customers, 10 s runs;  --quick: 100,000 customers, 4 s runs.
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
while (($#)); do
  case "$1" in
    --quick) customers=100000; duration=4s; warmup=1s ;;
    --customers) customers=$2; shift ;;
    --days) days=$2; shift ;;
    --build) build=$2; shift ;;
    --out) out=$2; shift ;;
    --nodes) nodes=$2; shift ;;
    --concurrency) concurrency=$2; shift ;;
    -h|--help) sed -n 2,11p "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
mkdir -p "$out"
out=$(cd "$out" && pwd)

"$root/scripts/install-deps.sh"
if [[ ! -f "$build/build.ninja" ]]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build "$build" -j "$(nproc)" --target cohort-store cohort-datagen cohortctl cohort-bench
bench="$build/bench/cohort-bench"
ctl="$build/tools/cohortctl/cohortctl"
registry="$build/features.registry"

cluster="$out/cluster"
redis_pid=""
cleanup() {
  "$root/deploy/local/cohort-local" down --dir "$cluster" >/dev/null 2>&1 || true
  if [[ -n "$redis_pid" ]]; then kill "$redis_pid" 2>/dev/null || true; wait "$redis_pid" 2>/dev/null || true; fi
}
trap cleanup EXIT

echo "== dataset: $customers customers, $days days of events"
rm -rf "$cluster" "$out/checkpoints" "$out/data" "$out/redis" "$out/db_bench"
mkdir -p "$out/data" "$out/redis"
"$build/tools/datagen/cohort-datagen" --customers="$customers" --days="$days" \
  --events_out="$out/data/events.csv" --attributes_out="$out/data/attributes.csv"
"$root/deploy/local/cohort-local" up --dir "$cluster" --build "$build" --nodes "$nodes"
map="$cluster/shard_map.json"
load_start=$(date +%s.%N)
"$ctl" import --shard_map="$map" --events="$out/data/events.csv" \
  --attributes="$out/data/attributes.csv" --progress=false
load_end=$(date +%s.%N)
rm -f "$out/data/events.csv" "$out/data/attributes.csv"
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
  --shard_map="$map" --redis="$redis" --checkpoints="$out/checkpoints" --registry="$registry")
run() { "$bench" "${common[@]}" "$@" >/dev/null; }

echo "== GetFeatures, closed loop, concurrency $concurrency"
for keys in uniform zipfian; do
  for batch in 1 10 100; do
    for target in cohort redis inproc; do
      run --target=$target --batch=$batch --keys=$keys --concurrency="$concurrency" --label=closed
    done
  done
done
echo "== GetFeatures batch 1, open loop (latency measured from the intended send time)"
for target in cohort redis; do
  run --target=$target --batch=1 --mode=open --rate=2000 --concurrency=32 --label=open
done
echo "== ingest, 100 events per request: unary Ingest via the router, and IngestStream"
run --target=cohort --workload=ingest --batch=100 --concurrency=4 --label=ingest
run --target=cohort --workload=ingest_stream --batch=100 --concurrency=4 --label=ingest

echo "== db_bench fillrandom, ${bytes}-byte values (a customer's feature vector)"
db_bench --benchmarks=fillrandom --num=$((customers < 1000000 ? customers : 1000000)) \
  --value_size="$bytes" --key_size=16 --db="$out/db_bench" --threads=1 \
  --compression_type=none --disable_wal=0 --sync=0 2>&1 | tee "$out/db_bench.txt" | grep -E "^fillrandom"
db_bench --benchmarks=fillrandom --num=$((customers < 100000 ? customers : 100000)) \
  --value_size="$bytes" --key_size=16 --db="$out/db_bench_sync" --threads=1 --batch_size=100 \
  --compression_type=none --sync=1 2>&1 | tee "$out/db_bench_sync.txt" | grep -E "^fillrandom"
rm -rf "$out/db_bench" "$out/db_bench_sync"

python3 "$root/bench/table.py" "$results" --customers "$customers" --nodes "$nodes" \
  --load_seconds "$(python3 -c "print(round($load_end - $load_start, 1))")" \
  --db_bench "$out/db_bench.txt" --db_bench_sync "$out/db_bench_sync.txt" | tee "$out/results.md"
