#!/usr/bin/env python3
"""Turns cohort-bench's results.jsonl (and db_bench output, and optionally bench/scale.sh's
results) into the Markdown results of docs/benchmarks.md: every run, Cohort vs Redis, Score
vs feature fetch, ingest vs db_bench, sizes, and the issue-4 targets with PASS/FAIL.
Usage: table.py results.jsonl [--customers N] [--nodes N] [--load_seconds S] [--compact_seconds S]
                [--store_rss_mb MB] [--redis_rss_mb MB] [--training TEXT]
[--db_bench FILE] [--db_bench_sync FILE] [--db_bench_event FILE] [--db_bench_event_sync FILE]
[--event_bytes B] [--ingest_batch B] [--scale scale.jsonl] [--scorer_breakdown FILE]
[--target_* thresholds]
table.py --scale scale.jsonl   (the sizes table alone, as bench/scale.sh prints it)"""

import argparse
import json
import os
import platform
import re


def machine():
    cpu = "unknown cpu"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = ""
    try:
        with open("/proc/meminfo") as f:
            kb = int(f.readline().split()[1])
            mem = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    load = ", load average {:.2f} {:.2f} {:.2f} at the end".format(*os.getloadavg())
    return f"{os.cpu_count()} vCPU {cpu}{mem}, {platform.system()} {platform.release()}{load}"


def db_bench_line(path):
    """(micros/op, ops/s) of a db_bench fillrandom output file, or None."""
    if not path or not os.path.exists(path):
        return None
    with open(path) as f:
        for line in f:
            m = re.match(r"fillrandom\s*:\s*([\d.]+) micros/op\s+(\d+) ops/sec", line)
            if m:
                return float(m.group(1)), int(m.group(2))
    return None


def ms(us):
    return f"{us / 1000:.3f}"


def load_text(r):
    if r["mode"] != "open":
        return f"closed c={r['concurrency']}"
    half = " (½ peak)" if r.get("label") == "half_peak" else ""
    return f"open {r['rate']:,.0f}/s{half}"


def find(runs, label=None, **fields):
    """The last run whose fields (and label, if given) match."""
    hit = None
    for r in runs:
        if label is not None and r.get("label") != label:
            continue
        if all(r.get(k) == v for k, v in fields.items()):
            hit = r
    return hit


def print_runs(runs):
    print("| target | workload | batch | keys | load | ops/s | keys/s | p50 | p90 | p99 | p99.9 "
          "| errors | found |")
    print("|---|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in runs:
        lat = r["latency_us"]
        found = "" if r["found_fraction"] < 0 else f"{r['found_fraction']:.2f}"
        workload = r["workload"] + (" (1 node)" if r.get("label", "").startswith("one_node")
                                    else "")
        if r.get("events_per_customer", 1) > 1:
            workload += f" ({r['events_per_customer']} events per customer)"
        if r.get("layout") == "messages":
            workload += " (messages layout)"
        print(f"| {r['target']} | {workload} | {r['batch']} | {r['keys']} | {load_text(r)} "
              f"| {r['throughput_ops_s']:,.0f} | {r['throughput_keys_s']:,.0f} "
              f"| {ms(lat['p50'])} | {ms(lat['p90'])} | {ms(lat['p99'])} "
              f"| {ms(lat['p99_9'])} | {r['errors']} | {found} |")
    models = sorted({r["models"] for r in runs if r.get("models")})
    for m in models:
        print(f"\nScore rows ask for: {m}.")


def ratio(a, b):
    return f"{a / b:.2f}" if b else "n/a"


def print_vs_redis(runs):
    print("\nCohort (gRPC) vs Redis, same batch, keys and load (throughput ratio; p50 and p99 "
          "ratio, > 1 means Cohort is slower):\n")
    print("| batch | keys | load | layout | cohort/redis ops/s | cohort/redis p50 "
          "| cohort/redis p99 | cohort/inproc ops/s |")
    print("|---:|---|---|---|---:|---:|---:|---:|")
    by = {}
    for r in runs:
        if r["workload"] != "get_features":
            continue
        k = (r["batch"], r["keys"], r["mode"], r["concurrency"], r["rate"])
        group = by.setdefault(k, {"cohort": []})
        if r["target"] == "cohort":
            group["cohort"].append(r)  # one row per layout
        else:
            group[r["target"]] = r
    for k, group in by.items():
        rd, ip = group.get("redis"), group.get("inproc")
        if not rd:
            continue
        for c in group["cohort"]:
            inproc = ratio(c["throughput_ops_s"], ip["throughput_ops_s"]) if ip else ""
            print(f"| {k[0]} | {k[1]} | {load_text(c)} | {c.get('layout') or 'messages'} "
                  f"| {ratio(c['throughput_ops_s'], rd['throughput_ops_s'])} "
                  f"| {ratio(c['latency_us']['p50'], rd['latency_us']['p50'])} "
                  f"| {ratio(c['latency_us']['p99'], rd['latency_us']['p99'])} | {inproc} |")


def print_score_vs_fetch(runs):
    pairs = []
    for s in runs:
        if s["workload"] != "score" or s["mode"] != "closed":
            continue
        f = find(runs, label=s.get("label"), target="cohort", workload="get_features",
                 batch=s["batch"], keys=s["keys"], mode="closed", concurrency=s["concurrency"])
        if f:
            pairs.append((s, f))
    if not pairs:
        return
    print("\nScore vs feature fetch: the same customers (same seed, keys and concurrency), "
          "Score through the scorer (features + history fetch, the three model families) vs "
          "GetFeatures through the router. The difference is what the models, the history "
          "read and the extra hop cost:\n")
    print("| batch | load | fetch p50 | score p50 | score − fetch p50 | fetch p99 | score p99 "
          "| score − fetch p99 | score/fetch ops/s |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for s, f in pairs:
        sl, fl = s["latency_us"], f["latency_us"]
        print(f"| {s['batch']} | {load_text(s)} | {ms(fl['p50'])} | {ms(sl['p50'])} "
              f"| {ms(sl['p50'] - fl['p50'])} | {ms(fl['p99'])} | {ms(sl['p99'])} "
              f"| {ms(sl['p99'] - fl['p99'])} "
              f"| {ratio(s['throughput_ops_s'], f['throughput_ops_s'])} |")


def print_scorer_breakdown(path, runs):
    """The scorer's histograms (bench/scorer_breakdown.py) beside the client's latency."""
    if not path or not os.path.exists(path):
        return
    rows = [json.loads(line) for line in open(path) if line.strip()]
    models = []
    for r in rows:
        for s in r["series"]:
            if s["metric"] == "cohort_model_inference_seconds" and s["label"] not in models:
                models.append(s["label"])
    if not rows:
        return
    print("\nInside the scorer (its Prometheus histograms over each closed-loop Score run, means "
          "in ms): the Score RPC as the server handled it, one store call (GetFeatures with "
          "history, averaged over the shards), and each model over a request's customers:\n")
    head = " | ".join(models)
    print(f"| batch | client mean | Score handling | store call | {head} | models total |")
    print("|---:|---:|---:|---:|" + "---:|" * len(models) + "---:|")
    for r in rows:
        client = find(runs, label=r["label"], target="scorer", workload="score",
                      batch=r["batch"], mode="closed")
        by = {}
        for s in r["series"]:
            by.setdefault(s["metric"], []).append(s)
        handling = by.get("cohort_grpc_server_handling_seconds", [])
        fetch = by.get("cohort_scorer_fetch_seconds", [])
        fetch_mean = (sum(s["mean_us"] * s["count"] for s in fetch) /
                      max(1, sum(s["count"] for s in fetch)))
        inference = {s["label"]: s["mean_us"] for s in by.get("cohort_model_inference_seconds", [])}
        cells = " | ".join(ms(inference.get(m, 0)) for m in models)
        client_mean = ms(client["latency_us"]["mean"]) if client else ""
        print(f"| {r['batch']} | {client_mean} "
              f"| {ms(handling[0]['mean_us']) if handling else ''} | {ms(fetch_mean)} | {cells} "
              f"| {ms(sum(inference.values()))} |")


def print_db_bench(args, runs):
    lines = (("db_bench fillrandom, feature-vector values (WAL, no sync)", args.db_bench),
             ("db_bench fillrandom, feature-vector values (sync, batches of 100)",
              args.db_bench_sync),
             (f"db_bench fillrandom, {args.event_bytes}-byte values = one event (WAL, no sync)",
              args.db_bench_event),
             (f"db_bench fillrandom, {args.event_bytes}-byte values = one event (sync, batches "
              f"of {args.ingest_batch})", args.db_bench_event_sync))
    printed = False
    for name, path in lines:
        got = db_bench_line(path)
        if got:
            print(f"\n{name}: {got[1]:,} writes/s ({got[0]:.2f} us/op).", end="")
            printed = True
    one = find(runs, label="one_node", workload="ingest_stream")
    event = db_bench_line(args.db_bench_event_sync)
    if one and event:
        print(f"\nOne-node IngestStream ({one['concurrency']} streams, {one['batch']} events per "
              f"request, sync): {one['throughput_keys_s']:,.0f} events/s = "
              f"{one['throughput_keys_s'] / event[1]:.2f}x db_bench's synced fillrandom of the "
              f"same value size and batch (each event is 3 RocksDB writes: aggregate merge, "
              f"history merge, dedup key).", end="")
        unsynced = db_bench_line(args.db_bench_event)
        if unsynced:
            print(f" {one['throughput_keys_s'] / unsynced[1]:.2f}x its unsynced fillrandom.",
                  end="")
    if printed:
        print()


def load_scale(path):
    if not path or not os.path.exists(path):
        return []
    return [json.loads(line) for line in open(path) if line.strip()]


def scale_sizes(scale):
    return [r for r in scale if r.get("kind") == "scale_size"]


def print_scale(scale):
    sizes = scale_sizes(scale)
    if not sizes:
        return
    families = []
    for s in sizes:
        for name in s["compacted"]["families"]:
            if name not in families:
                families.append(name)
    print("\nSizes (bench/scale.sh): on-disk bytes per customer after the import and a flush "
          "(the nodes' SST + WAL), and after a full compaction (`cohortctl compact`, per column "
          "family); GetFeatures latency in ms on the compacted nodes (closed loop, uniform "
          "keys):\n")
    head = " | ".join(f"{f} B/cust" for f in families)
    print(f"| customers | import s | flushed B/cust | compacted B/cust | {head} "
          "| b1 ops/s | b1 p50 | b1 p99 | b100 keys/s | b100 p50 | b100 p99 |")
    print("|---:|---:|---:|---:|" + "---:|" * len(families) + "---:|---:|---:|---:|---:|---:|")
    for s in sizes:
        n = s["customers"]
        flushed = (s["flushed"]["sst_bytes"] + s["flushed"]["wal_bytes"]) / n
        comp = s["compacted"]
        compacted = (comp["sst_bytes"] + comp["wal_bytes"]) / n
        cf = " | ".join(f"{comp['families'].get(f, {}).get('bytes', 0) / n:,.0f}"
                        for f in families)
        b1 = find(scale, label=f"scale-{n}", batch=1) or {}
        b100 = find(scale, label=f"scale-{n}", batch=100) or {}
        lat = lambda r, p: ms(r["latency_us"][p]) if r else ""
        print(f"| {n:,} | {s['import_seconds']:.0f} | {flushed:,.0f} | {compacted:,.0f} | {cf} "
              f"| {b1.get('throughput_ops_s', 0):,.0f} | {lat(b1, 'p50')} | {lat(b1, 'p99')} "
              f"| {b100.get('throughput_keys_s', 0):,.0f} | {lat(b100, 'p50')} "
              f"| {lat(b100, 'p99')} |")


def verdict(ok):
    return "PASS" if ok else "**FAIL**"


def print_targets(args, runs, scale):
    """Every issue-4 figure beside its target. Rows without a threshold are reported (INFO)."""
    rows = []  # (figure, measured, target, result)
    c = find(runs, label="closed", target="cohort", workload="get_features", batch=100,
             keys="uniform")
    r = find(runs, label="closed", target="redis", workload="get_features", batch=100,
             keys="uniform")
    if c and r:
        got = c["throughput_keys_s"] / r["throughput_keys_s"]
        rows.append(("GetFeatures batch 100 vs Redis pipelined HGETALL (closed, uniform): "
                     "throughput ratio",
                     f"{got:.2f}x ({c['throughput_keys_s']:,.0f} vs "
                     f"{r['throughput_keys_s']:,.0f} keys/s; p99 {ms(c['latency_us']['p99'])} vs "
                     f"{ms(r['latency_us']['p99'])} ms)",
                     f">= {args.target_b100_vs_redis:.2f}x",
                     verdict(got >= args.target_b100_vs_redis)))
    for batch in (1, 100):
        h = find(runs, label="half_peak", target="cohort", workload="get_features", batch=batch)
        if not h:
            continue
        p99 = h["latency_us"]["p99"] / 1000
        threshold = args.target_get_p99_ms if batch == 1 else args.target_b100_p99_ms
        rows.append((f"GetFeatures batch {batch} p99 at half of peak ({h['rate']:,.0f} req/s)",
                     f"{p99:.3f} ms (errors {h['errors']})",
                     f"< {threshold:g} ms" if threshold else "report",
                     verdict(p99 < threshold and h["errors"] == 0) if threshold else "INFO"))
    one = find(runs, label="one_node", workload="ingest_stream")
    if one:
        events = one["throughput_keys_s"]
        rows.append((f"Streaming ingest into one node, sync durability ({one['concurrency']} "
                     f"streams x {one['batch']} events)",
                     f"{events:,.0f} events/s (errors {one['errors']})",
                     f">= {args.target_ingest_events:,.0f} events/s",
                     verdict(events >= args.target_ingest_events and one["errors"] == 0)))
        event = db_bench_line(args.db_bench_event_sync)
        if event:
            rows.append(("... ratio to db_bench fillrandom (same value size, sync, same batch)",
                         f"{events / event[1]:.2f}x ({event[1]:,} writes/s)", "report", "INFO"))
    grouped = find(runs, label="one_node_grouped", workload="ingest_stream")
    if grouped:
        rows.append((f"... the same with {grouped['events_per_customer']} consecutive events per "
                     f"customer (a session's events arriving together)",
                     f"{grouped['throughput_keys_s']:,.0f} events/s (errors {grouped['errors']})",
                     "report", "INFO"))
    s = find(runs, label="half_peak", target="scorer", workload="score", batch=1)
    if s:
        p99 = s["latency_us"]["p99"] / 1000
        rows.append((f"Score, 3 model families, 1 customer: p99 at half of peak "
                     f"({s['rate']:,.0f} req/s)", f"{p99:.3f} ms (errors {s['errors']})",
                     f"< {args.target_score_p99_ms:g} ms",
                     verdict(p99 < args.target_score_p99_ms and s["errors"] == 0)))
    for batch in (1, 10):
        sc = find(runs, label="closed", target="scorer", workload="score", batch=batch)
        f = find(runs, label="closed", target="cohort", workload="get_features", batch=batch,
                 keys="uniform")
        if sc and f:
            rows.append((f"Score vs feature fetch, batch {batch} (closed): p50 / p99",
                         f"{ms(sc['latency_us']['p50'])} / {ms(sc['latency_us']['p99'])} ms vs "
                         f"{ms(f['latency_us']['p50'])} / {ms(f['latency_us']['p99'])} ms",
                         "report", "INFO"))
    sizes = {s["customers"]: s for s in scale_sizes(scale)}
    for n in (100000, 1000000, 5000000):
        if n not in sizes:
            rows.append((f"{n:,} customers: bytes/customer, GetFeatures latency", "not measured",
                         "report", "MISSING"))
            continue
        comp = sizes[n]["compacted"]
        b1 = find(scale, label=f"scale-{n}", batch=1)
        b100 = find(scale, label=f"scale-{n}", batch=100)
        lat = ", ".join(f"b{r['batch']} p50/p99 {ms(r['latency_us']['p50'])}/"
                        f"{ms(r['latency_us']['p99'])} ms" for r in (b1, b100) if r)
        rows.append((f"{n:,} customers: bytes/customer (compacted), GetFeatures latency",
                     f"{(comp['sst_bytes'] + comp['wal_bytes']) / n:,.0f} B; {lat}", "report",
                     "INFO"))
    if not rows:
        return
    print("\nTargets (issue 4):\n")
    print("| figure | measured | target | result |")
    print("|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results", nargs="?")
    ap.add_argument("--customers", type=int, default=0)
    ap.add_argument("--nodes", type=int, default=0)
    ap.add_argument("--load_seconds", type=float, default=0)
    ap.add_argument("--compact_seconds", type=float, default=None)
    ap.add_argument("--store_rss_mb", type=float, default=None,
                    help="RSS of every store node together after the read runs")
    ap.add_argument("--redis_rss_mb", type=float, default=None, help="Redis's RSS then")
    ap.add_argument("--training", default="")
    ap.add_argument("--db_bench")
    ap.add_argument("--db_bench_sync")
    ap.add_argument("--db_bench_event")
    ap.add_argument("--db_bench_event_sync")
    ap.add_argument("--event_bytes", type=int, default=0)
    ap.add_argument("--ingest_batch", type=int, default=0)
    ap.add_argument("--scale", help="bench/scale.sh results (scale.jsonl)")
    ap.add_argument("--scorer_breakdown", help="bench/scorer_breakdown.py delta lines")
    # Issue 4's targets.
    ap.add_argument("--target_b100_vs_redis", type=float, default=1.0,
                    help="GetFeatures batch 100: minimum Cohort/Redis keys/s")
    ap.add_argument("--target_b100_p99_ms", type=float, default=2.0,
                    help="GetFeatures batch 100: p99 at half of peak")
    ap.add_argument("--target_get_p99_ms", type=float, default=1.0,
                    help="GetFeatures batch 1: p99 at half of peak")
    ap.add_argument("--target_score_p99_ms", type=float, default=2.0)
    ap.add_argument("--target_ingest_events", type=float, default=100000)
    args = ap.parse_args()
    scale = load_scale(args.scale)
    if not args.results:
        print(f"Machine: {machine()}.")
        print_scale(scale)
        return
    runs = [json.loads(line) for line in open(args.results) if line.strip()]

    training = f" Models trained on {args.training}." if args.training else ""
    compact = (f", then `cohortctl compact` {args.compact_seconds:.0f} s"
               if args.compact_seconds is not None else "")
    memory = ""
    if args.store_rss_mb is not None and args.redis_rss_mb is not None:
        memory = (f" Memory after the read runs: store nodes {args.store_rss_mb:.0f} MiB RSS "
                  f"in total, Redis {args.redis_rss_mb:.0f} MiB.")
    print(f"Machine: {machine()}. Dataset: {args.customers:,} customers on {args.nodes} "
          f"store shards (import {args.load_seconds:.0f} s{compact}).{training}{memory} "
          f"Latencies in ms.\n")
    print_runs(runs)
    print_vs_redis(runs)
    print_score_vs_fetch(runs)
    print_scorer_breakdown(args.scorer_breakdown, runs)
    print_db_bench(args, runs)
    print_scale(scale)
    print_targets(args, runs, scale)


if __name__ == "__main__":
    main()
