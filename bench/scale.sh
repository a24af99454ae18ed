#!/usr/bin/env bash
# Size scaling of the store (docs/benchmarks.md, "Sizes"): for each size, a fresh local
# cluster is loaded with that many customers, flushed (the Checkpoint RPC flushes the
# memtables) and measured: on-disk bytes per customer of the nodes' data directories (SST +
# WAL) after the flush; then the nodes are compacted (`cohortctl compact`, as an operator does
# after a bulk load) and measured again per column family (from checkpoints of the compacted
# nodes, opened in-process); then GetFeatures batch 1 and batch 100 latency (closed loop).
#
# Usage: bench/scale.sh [--sizes 100000,1000000,5000000] [--days D] [--nodes N]
#                       [--concurrency C] [--duration 10s] [--warmup 2s] [--build DIR]
#                       [--out DIR] [--dry_run]
#   --dry_run prints the time estimate and exits. Sizes run in the order given; each size's
#   results are appended as soon as it is done, so an interrupted run keeps finished sizes.
# Results: <out>/scale.jsonl (cohort-bench runs labelled scale-<N> and one "scale_size"
# record per size), <out>/scale.md (the table). bench/run.sh --scale_results <out>/scale.jsonl
# adds them to its table and targets.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
sizes=100000,1000000,5000000
days=30
nodes=3
concurrency=8
duration=10s
warmup=2s
build="$root/build"
out="$root/var/bench/scale"
dry_run=false
while (($#)); do
  case "$1" in
    --sizes) sizes=$2; shift ;;
    --days) days=$2; shift ;;
    --nodes) nodes=$2; shift ;;
    --concurrency) concurrency=$2; shift ;;
    --duration) duration=$2; shift ;;
    --warmup) warmup=$2; shift ;;
    --build) build=$2; shift ;;
    --out) out=$2; shift ;;
    --dry_run) dry_run=true ;;
    -h|--help) sed -n 2,19p "$0"; exit 0 ;;
    *) echo "scale.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
IFS=, read -r -a size_list <<<"$sizes"
for n in "${size_list[@]}"; do
  [[ $n =~ ^[1-9][0-9]*$ ]] || { echo "scale.sh: --sizes must be positive integers, got '$n'" >&2; exit 2; }
done

# Time estimate: generation + import + checkpoint compaction per customer (measured on the
# shared 2-core VM at 30 days: ~180 us per customer), plus two measured runs per size. After
# each size the rate is re-measured.
us_per_customer=180
disk_bytes_per_customer=1000
run_seconds=$((2 * (${duration%s} + ${warmup%s}) + 10))
estimate() {  # estimate N...: minutes for those sizes
  local total=0 n
  for n in "$@"; do total=$((total + n * us_per_customer / 1000000 + run_seconds)); done
  echo $(((total + 59) / 60))
}
largest=$(printf '%s\n' "${size_list[@]}" | sort -n | tail -1)
echo "== sizes ${size_list[*]}: estimated $(estimate "${size_list[@]}") min at ${us_per_customer} us/customer" \
  "(5,000,000 alone: ~$(estimate 5000000) min); disk: ~$((largest * 2 * disk_bytes_per_customer / 1000000)) MB" \
  "for the largest size (its data plus a compacted checkpoint)"
if $dry_run; then exit 0; fi

mkdir -p "$out"
out=$(cd "$out" && pwd)
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
bench_build cohort-store cohort-datagen cohortctl cohort-bench

cluster="$out/cluster"
trap 'cluster_down "$cluster"' EXIT
results="$out/scale.jsonl"
: >"$results"
remaining=("${size_list[@]}")
for n in "${size_list[@]}"; do
  remaining=("${remaining[@]:1}")
  echo "== $n customers"
  size_start=$(date +%s)
  cluster_down "$cluster"
  rm -rf "$cluster" "$out/data" "$out/checkpoints"
  generate_dataset "$n" "$days" "$out/data"
  cluster_up "$cluster" "$nodes" >/dev/null
  map="$cluster/shard_map.json"
  import_dataset "$map" "$out/data"
  rm -rf "$out/data"
  "$bench" --make_checkpoints="$out/checkpoints" --shard_map="$map" 2>/dev/null
  flushed=$(dir_bytes "$cluster"/store-*/data)
  rm -rf "$out/checkpoints"
  "$ctl" compact --shard_map="$map" >/dev/null
  "$bench" --make_checkpoints="$out/checkpoints" --shard_map="$map" 2>/dev/null
  # The checkpoints hold the compacted nodes' files; --compact_checkpoints finds nothing left
  # to do and reports their bytes and keys per column family.
  compacted=$("$bench" --compact_checkpoints="$out/checkpoints" --shard_map="$map" \
    --registry="$registry")
  rm -rf "$out/checkpoints"
  python3 - "$n" "$import_seconds" "$flushed" "$compacted" >>"$results" <<'EOF'
import json, sys
n, seconds, flushed, compacted = sys.argv[1:]
print(json.dumps({"kind": "scale_size", "customers": int(n), "import_seconds": float(seconds),
                  "flushed": json.loads(flushed), "compacted": json.loads(compacted)}))
EOF
  for batch in 1 100; do
    "$bench" --target=cohort --shard_map="$map" --customers="$n" --batch="$batch" \
      --concurrency="$concurrency" --warmup="$warmup" --duration="$duration" \
      --label="scale-$n" --json_out="$results" >/dev/null
  done
  cluster_down "$cluster"
  elapsed=$(($(date +%s) - size_start))
  us_per_customer=$(((elapsed - run_seconds > 1 ? elapsed - run_seconds : 1) * 1000000 / n))
  if ((${#remaining[@]})); then
    echo "== $n done in ${elapsed}s; remaining sizes ${remaining[*]}: ~$(estimate "${remaining[@]}") min"
  fi
done
rm -rf "$cluster"
python3 "$root/bench/table.py" --scale "$results" | tee "$out/scale.md"
