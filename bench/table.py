#!/usr/bin/env python3
"""Turns cohort-bench's results.jsonl (and db_bench output) into the Markdown results table
of docs/benchmarks.md. Usage: table.py results.jsonl [--customers N] [--nodes N]
[--load_seconds S] [--db_bench FILE] [--db_bench_sync FILE]"""

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
    if not path or not os.path.exists(path):
        return None
    with open(path) as f:
        for line in f:
            m = re.match(r"fillrandom\s*:\s*([\d.]+) micros/op\s+(\d+) ops/sec", line)
            if m:
                return float(m.group(1)), int(m.group(2))
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results")
    ap.add_argument("--customers", type=int, default=0)
    ap.add_argument("--nodes", type=int, default=0)
    ap.add_argument("--load_seconds", type=float, default=0)
    ap.add_argument("--db_bench")
    ap.add_argument("--db_bench_sync")
    args = ap.parse_args()
    runs = [json.loads(line) for line in open(args.results) if line.strip()]

    print(f"Machine: {machine()}. Dataset: {args.customers:,} customers on {args.nodes} "
          f"store shards (import {args.load_seconds:.0f} s). Latencies in ms.\n")
    print("| target | workload | batch | keys | load | ops/s | keys/s | p50 | p90 | p99 "
          "| p99.9 | errors | found |")
    print("|---|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in runs:
        lat = r["latency_us"]
        load = (f"open {r['rate']:.0f}/s" if r["mode"] == "open"
                else f"closed c={r['concurrency']}")
        found = "" if r["found_fraction"] < 0 else f"{r['found_fraction']:.2f}"
        print(f"| {r['target']} | {r['workload']} | {r['batch']} | {r['keys']} | {load} "
              f"| {r['throughput_ops_s']:,.0f} | {r['throughput_keys_s']:,.0f} "
              f"| {lat['p50'] / 1000:.3f} | {lat['p90'] / 1000:.3f} | {lat['p99'] / 1000:.3f} "
              f"| {lat['p99_9'] / 1000:.3f} | {r['errors']} | {found} |")

    print("\nCohort (gRPC) vs Redis, same batch, keys and concurrency "
          "(throughput ratio; p50 and p99 ratio, > 1 means Cohort is slower):\n")
    print("| batch | keys | load | cohort/redis ops/s | cohort/redis p50 | cohort/redis p99 "
          "| cohort/inproc ops/s |")
    print("|---:|---|---|---:|---:|---:|---:|")
    key = lambda r: (r["workload"], r["batch"], r["keys"], r["mode"], r["concurrency"], r["rate"])
    by = {}
    for r in runs:
        by.setdefault(key(r), {})[r["target"]] = r
    for k, group in by.items():
        c, rd, ip = group.get("cohort"), group.get("redis"), group.get("inproc")
        if not c or not rd:
            continue
        ratio = lambda a, b: f"{a / b:.2f}" if b else "n/a"
        load = f"open {k[5]:.0f}/s" if k[3] == "open" else f"closed c={k[4]}"
        inproc = ratio(c["throughput_ops_s"], ip["throughput_ops_s"]) if ip else ""
        print(f"| {k[1]} | {k[2]} | {load} "
              f"| {ratio(c['throughput_ops_s'], rd['throughput_ops_s'])} "
              f"| {ratio(c['latency_us']['p50'], rd['latency_us']['p50'])} "
              f"| {ratio(c['latency_us']['p99'], rd['latency_us']['p99'])} | {inproc} |")

    for name, path in (("db_bench fillrandom (WAL, no sync)", args.db_bench),
                       ("db_bench fillrandom (sync, batches of 100)", args.db_bench_sync)):
        got = db_bench_line(path)
        if got:
            print(f"\n{name}: {got[1]:,} writes/s ({got[0]:.2f} us/op).", end="")
    print()


if __name__ == "__main__":
    main()
