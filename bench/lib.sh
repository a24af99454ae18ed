# shellcheck shell=bash
# Shell helpers shared by bench/run.sh and bench/scale.sh (sourced, not run). They expect
# $root (the repository) and $build (the build tree) to be set, and `set -euo pipefail`.
# bench_build sets $bench, $ctl and $registry; import_dataset sets $import_seconds.
# shellcheck disable=SC2154,SC2034

# bench_build TARGET...: configures $build if needed (Release) and builds the targets.
bench_build() {
  if [[ ! -f "$build/build.ninja" ]]; then
    cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  fi
  cmake --build "$build" -j "$(nproc)" --target "$@"
  bench="$build/bench/cohort-bench"
  ctl="$build/tools/cohortctl/cohortctl"
  registry="$build/features.registry"
}

# cluster_up DIR NODES: starts NODES store shards (default durability, sync) in DIR, each
# with --block_cache_mb=$block_cache_mb when that is set.
cluster_up() {
  "$root/deploy/local/cohort-local" up --dir "$1" --build "$build" --nodes "$2" \
    ${block_cache_mb:+--store_flag=--block_cache_mb=$block_cache_mb}
}

# cluster_down DIR: stops the store shards and the scorer of DIR (if any), quietly.
cluster_down() {
  "$root/deploy/local/cohort-local" down --dir "$1" >/dev/null 2>&1 || true
}

# generate_dataset CUSTOMERS DAYS DIR: cohort-datagen into DIR/events.csv, DIR/attributes.csv.
generate_dataset() {
  mkdir -p "$3"
  "$build/tools/datagen/cohort-datagen" --customers="$1" --days="$2" \
    --events_out="$3/events.csv" --attributes_out="$3/attributes.csv"
}

# import_dataset MAP DIR: imports DIR/events.csv and DIR/attributes.csv through the router;
# sets import_seconds.
import_dataset() {
  local start end
  start=$(date +%s.%N)
  "$ctl" import --shard_map="$1" --events="$2/events.csv" --attributes="$2/attributes.csv" \
    --progress=false
  end=$(date +%s.%N)
  import_seconds=$(python3 -c "print(round($end - $start, 1))")
}

# json_field FILE FIELD: FIELD of the one JSON object in FILE.
json_field() {
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"
}

# result_field RESULTS LABEL TARGET WORKLOAD BATCH KEYS FIELD: FIELD of the last run in the
# cohort-bench results file RESULTS with that label, target, workload, batch and keys.
result_field() {
  python3 - "$@" <<'EOF'
import json, sys
path, label, target, workload, batch, keys, field = sys.argv[1:]
value = None
for line in open(path):
    r = json.loads(line)
    if (r.get("label"), r["target"], r["workload"], r["batch"], r["keys"]) == (
            label, target, workload, int(batch), keys):
        value = r[field]
if value is None:
    sys.exit(f"no run labelled {label} for {target} {workload} batch {batch} {keys} in {path}")
print(value)
EOF
}

# dir_bytes DIR...: bytes of the *.sst and *.log files under every DIR, as JSON.
dir_bytes() {
  python3 - "$@" <<'EOF'
import json, os, sys
sst = wal = 0
for d in sys.argv[1:]:
    for parent, _, files in os.walk(d):
        for f in files:
            size = os.path.getsize(os.path.join(parent, f))
            sst += size if f.endswith(".sst") else 0
            wal += size if f.endswith(".log") else 0
print(json.dumps({"sst_bytes": sst, "wal_bytes": wal}))
EOF
}
