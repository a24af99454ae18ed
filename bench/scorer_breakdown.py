#!/usr/bin/env python3
"""Where a Score call's time goes, from the scorer's own Prometheus histograms
(docs/metrics.md) scraped before and after a score run:

  scorer_breakdown.py snapshot HOST:PORT FILE        save GET http://HOST:PORT/metrics
  scorer_breakdown.py delta BEFORE AFTER --batch B   print one JSON line: the run's mean
      server handling time of Score, mean store fetch per call (features, history) and
      mean inference per model per request, in microseconds (bench/table.py renders it)

The means cover every request between the snapshots (warm-up included)."""

import argparse
import json
import re
import sys
import urllib.request

SERIES = {
    "cohort_grpc_server_handling_seconds": "grpc_method",  # the Score RPC, server side
    "cohort_scorer_fetch_seconds": "shard",  # one store call (GetFeatures, with history when recommendations run)
    "cohort_model_inference_seconds": "model",  # one model over a request's customers
}
LINE = re.compile(r'^(\w+)_(sum|count)\{([^}]*)\}\s+([0-9.eE+-]+)$')


def parse(text):
    """{(metric, labels text): {"sum": s, "count": c}} for the histograms of SERIES."""
    out = {}
    for line in text.splitlines():
        m = LINE.match(line.strip())
        if not m or m.group(1) not in SERIES:
            continue
        labels = dict(re.findall(r'(\w+)="([^"]*)"', m.group(3)))
        if m.group(1) == "cohort_grpc_server_handling_seconds" and labels.get("grpc_method") != "Score":
            continue
        key = (m.group(1), labels.get(SERIES[m.group(1)], ""))
        out.setdefault(key, {"sum": 0.0, "count": 0.0})[m.group(2)] += float(m.group(4))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    snap = sub.add_parser("snapshot")
    snap.add_argument("address")
    snap.add_argument("file")
    delta = sub.add_parser("delta")
    delta.add_argument("before")
    delta.add_argument("after")
    delta.add_argument("--batch", type=int, required=True)
    delta.add_argument("--label", default="closed")
    args = ap.parse_args()
    if args.command == "snapshot":
        with urllib.request.urlopen(f"http://{args.address}/metrics", timeout=10) as r:
            text = r.read().decode()
        with open(args.file, "w") as f:
            f.write(text)
        return
    before = parse(open(args.before).read())
    after = parse(open(args.after).read())
    series = []
    for (metric, label), now in sorted(after.items()):
        was = before.get((metric, label), {"sum": 0.0, "count": 0.0})
        count = now["count"] - was["count"]
        if count <= 0:
            continue
        series.append({"metric": metric, "label": label, "count": int(count),
                       "mean_us": round((now["sum"] - was["sum"]) / count * 1e6, 1)})
    if not series:
        sys.exit("scorer_breakdown.py: no Score request between the snapshots")
    print(json.dumps({"kind": "scorer_breakdown", "label": args.label, "batch": args.batch,
                      "series": series}))


if __name__ == "__main__":
    main()
