#!/usr/bin/python3
"""Generates cohort-dashboard.json, the Grafana dashboard of the Cohort store and scorer.

  make_dashboard.py            rewrite cohort-dashboard.json next to this script
  make_dashboard.py --check    exit 1 if cohort-dashboard.json differs from what it generates

Edit the panels here, not in the JSON. Metric names: docs/metrics.md; recording rules
(job_instance:..., job:...): deploy/prometheus/cohort-rules.yml.

Variables: $datasource (a Prometheus data source), $job (the store's scrape job) and
$instance (store nodes, multi-value, "All" = .*); for the scorer rows $scorer_job,
$scorer_instance (scorer replicas) and $model (loaded models), multi-value like $instance.
Every store query filters on job="$job" and instance=~"$instance", every scorer query on
job="$scorer_job" and instance=~"$scorer_instance", where the series has those labels, and
uses $__rate_interval for rates, so expressions stay valid PromQL after substitution.
Panels that compare with the day before use `offset` (no data until Prometheus holds a day).
"""

import argparse
import json
import os
import sys

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cohort-dashboard.json")
DS = {"type": "prometheus", "uid": "${datasource}"}
SEL = 'job="$job", instance=~"$instance"'
RI = "$__rate_interval"
SERVER_ERRORS = "UNKNOWN|INTERNAL|UNAVAILABLE|DATA_LOSS|DEADLINE_EXCEEDED|RESOURCE_EXHAUSTED"
# Scorer: selector, and the codes its availability SLO counts as failures (cohort-rules.yml).
SSEL = 'job="$scorer_job", instance=~"$scorer_instance"'
SCORE_ERRORS = SERVER_ERRORS + "|FAILED_PRECONDITION"
SCORING = 'grpc_service="cohort.v1.Scoring"'


def rate(metric, extra="", by=None, sel=SEL, window=RI):
    """sum [by (labels)] (rate(metric{sel[, extra]}[window])), sel = store job and instance."""
    sel = sel + (", " + extra if extra else "")
    grouping = f" by ({by})" if by else ""
    return f"sum{grouping} (rate({metric}{{{sel}}}[{window}]))"


def quantile(q, metric, by, extra="", sel=SEL):
    return f"histogram_quantile({q}, {rate(metric + '_bucket', extra, by + ', le', sel)})"


def ratio(num_extra, metric, by, den_extra="", sel=SEL):
    return f"{rate(metric, num_extra, by, sel)} / {rate(metric, den_extra, by, sel)}"


class Layout:
    """Places panels left to right on a 24-column grid, rows of height 8."""

    def __init__(self):
        self.panels, self.x, self.y, self.h = [], 0, 0, 0

    def row(self, title):
        self.newline()
        self.panels.append({"type": "row", "title": title, "collapsed": False, "panels": [],
                            "gridPos": {"h": 1, "w": 24, "x": 0, "y": self.y},
                            "id": len(self.panels) + 1})
        self.y += 1

    def newline(self):
        if self.x:
            self.x, self.y, self.h = 0, self.y + self.h, 0

    def add(self, panel, w, h=8):
        if self.x + w > 24:
            self.newline()
        panel["gridPos"] = {"h": h, "w": w, "x": self.x, "y": self.y}
        panel["id"] = len(self.panels) + 1
        self.panels.append(panel)
        self.x += w
        self.h = max(self.h, h)


def targets(exprs):
    """[(expr, legend)] -> Grafana targets with refIds A, B, ..."""
    return [{"datasource": DS, "expr": e, "legendFormat": legend, "range": True,
             "refId": chr(ord("A") + i)} for i, (e, legend) in enumerate(exprs)]


def timeseries(title, description, exprs, unit, stack=False, max_=None):
    defaults = {"unit": unit, "custom": {"lineWidth": 1, "fillOpacity": 10 if stack else 0,
                                         "stacking": {"mode": "normal" if stack else "none"}}}
    if max_ is not None:
        defaults["max"] = max_
        defaults["min"] = 0
    return {"type": "timeseries", "title": title, "description": description, "datasource": DS,
            "fieldConfig": {"defaults": defaults, "overrides": []},
            "options": {"legend": {"displayMode": "table", "placement": "bottom",
                                   "showLegend": True, "calcs": ["mean", "max", "lastNotNull"]},
                        "tooltip": {"mode": "multi", "sort": "desc"}},
            "targets": targets(exprs)}


def stat(title, description, expr, unit, thresholds, base="green"):
    steps = [{"color": base, "value": None}] + [{"color": c, "value": v} for v, c in thresholds]
    return {"type": "stat", "title": title, "description": description, "datasource": DS,
            "fieldConfig": {"defaults": {"unit": unit, "thresholds": {"mode": "absolute",
                                                                      "steps": steps}},
                            "overrides": []},
            "options": {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "",
                                          "values": False},
                        "colorMode": "value", "graphMode": "area", "textMode": "auto"},
            "targets": targets([(expr, "")])}


def panels():
    g = Layout()
    handled = "cohort_grpc_server_handled_total"
    seconds = "cohort_grpc_server_handling_seconds"

    g.row("Overview")
    g.add(stat("Nodes up", "Store nodes Prometheus can scrape.",
               f"sum(up{{{SEL}}})", "none", []), 4, 4)
    g.add(stat("Request rate", "RPCs handled per second, all methods.",
               rate(handled), "reqps", []), 5, 4)
    g.add(stat("Server error ratio", "Share of RPCs that failed with a server-side code "
               f"({SERVER_ERRORS.replace('|', ', ')}); alert CohortHighErrorRatio at 1%.",
               ratio(f'grpc_code=~"{SERVER_ERRORS}"', handled, None), "percentunit",
               [(0.001, "orange"), (0.01, "red")]), 5, 4)
    g.add(stat("GetFeatures slower than 10 ms", "Share of GetFeatures calls over 10 ms "
               "(SLO: at most 1%).",
               f'max(job_instance:cohort_getfeatures_slow:ratio_rate5m{{{SEL}}})',
               "percentunit", [(0.01, "red")]), 5, 4)
    g.add(stat("Shard map epoch skew", "Highest minus lowest shard-map epoch among the nodes; "
               "non-zero for 5 m raises CohortShardMapEpochSkew.",
               'job:cohort_store_shard_map_epoch:skew{job="$job"}', "none", [(1, "red")]), 5, 4)

    g.row("RED per method")
    g.add(timeseries("Request rate by method", "RPCs handled per second.",
                     [(rate(handled, by="grpc_service, grpc_method"), "{{grpc_method}}")],
                     "reqps"), 8)
    g.add(timeseries("Server error ratio by method", "Failed with a server-side code / handled.",
                     [(ratio(f'grpc_code=~"{SERVER_ERRORS}"', handled,
                             "grpc_service, grpc_method"), "{{grpc_method}}")],
                     "percentunit"), 8)
    g.add(timeseries("Non-OK responses by method and code", "Client errors "
                     "(INVALID_ARGUMENT, FAILED_PRECONDITION after a shard move) included.",
                     [(rate(handled, 'grpc_code!="OK"', "grpc_method, grpc_code"),
                       "{{grpc_method}} {{grpc_code}}")], "reqps"), 8)
    g.add(timeseries("Latency p50 by method", "Server-side handling time, median.",
                     [(quantile(0.5, seconds, "grpc_service, grpc_method"), "{{grpc_method}}")],
                     "s"), 8)
    g.add(timeseries("Latency p99 by method", "Server-side handling time, 99th percentile.",
                     [(quantile(0.99, seconds, "grpc_service, grpc_method"), "{{grpc_method}}")],
                     "s"), 8)
    g.add(timeseries("GetFeatures latency SLO burn rate", "Share of calls over 10 ms divided by "
                     "the 1% budget; 14.4 (5m and 1h) pages, 6 (30m and 6h) opens a ticket.",
                     [(f"job_instance:cohort_getfeatures_slow:ratio_rate{w}{{{SEL}}} / 0.01",
                       "{{instance}} " + w) for w in ("5m", "30m", "1h", "6h")], "none"), 8)

    g.row("Per shard (instance)")
    g.add(timeseries("Request rate by node", "RPCs handled per second per store node.",
                     [(rate(handled, by="instance"), "{{instance}}")], "reqps"), 8)
    g.add(timeseries("Server error ratio by node", "Alert CohortHighErrorRatio at 1% for 5 m.",
                     [(f"job_instance:cohort_grpc_server_errors:ratio_rate5m{{{SEL}}}",
                       "{{instance}}")], "percentunit"), 8)
    g.add(timeseries("GetFeatures p99 by node", "Server-side handling time of GetFeatures.",
                     [(quantile(0.99, seconds, "instance", 'grpc_method="GetFeatures"'),
                       "{{instance}}")], "s"), 8)
    g.add(timeseries("Owned partitions", "Partitions each node owns under its shard map.",
                     [(f"cohort_store_owned_partitions{{{SEL}}}", "{{instance}}")], "none"), 6)
    g.add(timeseries("Shard map epoch", "Epoch of the shard map in force on each node.",
                     [(f"cohort_store_shard_map_epoch{{{SEL}}}", "{{instance}}")], "none"), 6)
    g.add(timeseries("CPU", "CPU seconds used per second.",
                     [(f"rate(process_cpu_seconds_total{{{SEL}}}[{RI}])", "{{instance}}")],
                     "none"), 6)
    g.add(timeseries("Resident memory", "Process RSS.",
                     [(f"process_resident_memory_bytes{{{SEL}}}", "{{instance}}")], "bytes"), 6)

    g.row("RocksDB")
    g.add(timeseries("Block cache hit ratio", "Hits / (hits + misses).",
                     [(f"job_instance:cohort_rocksdb_block_cache_hit:ratio_rate5m{{{SEL}}}",
                       "{{instance}}")], "percentunit", max_=1), 8)
    g.add(timeseries("Memtable bytes", "Memtable size per node and column family.",
                     [(f"cohort_rocksdb_memtable_bytes{{{SEL}}}", "{{instance}} {{cf}}")],
                     "bytes"), 8)
    g.add(timeseries("SST bytes", "SST files size per node and column family.",
                     [(f"cohort_rocksdb_sst_bytes{{{SEL}}}", "{{instance}} {{cf}}")],
                     "bytes"), 8)
    g.add(timeseries("Pending compaction bytes", "Alert CohortCompactionBacklog above 1 GiB "
                     "per node for 15 m.",
                     [(f"cohort_rocksdb_pending_compaction_bytes{{{SEL}}}",
                       "{{instance}} {{cf}}")], "bytes"), 8)
    g.add(timeseries("Write stalls", "Share of time writers were stalled, and 1 while writes "
                     "are stopped (alert CohortWriteStalls: 10% or stopped).",
                     [(f"rate(cohort_rocksdb_write_stall_seconds_total{{{SEL}}}[{RI}])",
                       "{{instance}} stalled"),
                      (f"cohort_rocksdb_write_stopped{{{SEL}}}", "{{instance}} stopped")],
                     "percentunit"), 8)
    g.add(timeseries("Estimated keys", "Live keys per node and column family.",
                     [(f"cohort_rocksdb_estimated_keys{{{SEL}}}", "{{instance}} {{cf}}")],
                     "short"), 8)

    g.row("Freshness and features served")
    g.add(timeseries("Event lag", "Ingest wall time minus event time.",
                     [(quantile(0.5, "cohort_store_event_lag_seconds", "job"), "p50"),
                      (quantile(0.99, "cohort_store_event_lag_seconds", "job"), "p99")], "s"), 8)
    g.add(timeseries("Feature status mix", "Feature values served per second by status.",
                     [(rate("cohort_store_feature_values_total", by="status"), "{{status}}")],
                     "short", stack=True), 8)
    g.add(timeseries("STALE or NOT_FOUND share", "Alert CohortStaleFeatures above 25% for 30 m.",
                     [('job:cohort_store_feature_values_stale_or_not_found:ratio_rate5m'
                       '{job="$job"}', "{{job}}")], "percentunit", max_=1), 8)

    g.row("Ingest")
    g.add(timeseries("Ingest outcomes", "Events per second: applied, duplicate, rejected.",
                     [(rate("cohort_store_ingest_events_total", by="result"), "{{result}}")],
                     "short", stack=True), 8)
    g.add(timeseries("Rejections by field", "Rejected events per second by the field at fault.",
                     [(rate("cohort_store_ingest_rejected_total", by="reason"), "{{reason}}")],
                     "short", stack=True), 8)
    g.add(timeseries("Reject ratio", "Rejected / all ingested; alert CohortHighRejectRatio "
                     "above 5% for 10 m.",
                     [('job:cohort_store_ingest_rejected:ratio_rate5m{job="$job"}', "{{job}}")],
                     "percentunit", max_=1), 8)
    scorer_panels(g)
    return g.panels


def table(title, description, expr):
    """An instant query shown as a table of its labels."""
    return {"type": "table", "title": title, "description": description, "datasource": DS,
            "fieldConfig": {"defaults": {}, "overrides": []},
            "options": {"showHeader": True, "footer": {"show": False}},
            "transformations": [{"id": "organize", "options": {
                "excludeByName": {"Time": True, "Value": True, "__name__": True}}}],
            "targets": [{"datasource": DS, "expr": expr, "format": "table", "instant": True,
                         "range": False, "refId": "A"}]}


def heatmap(title, description, expr, repeat):
    """Histogram buckets (format heatmap), one panel per value of the variable `repeat`."""
    return {"type": "heatmap", "title": title, "description": description, "datasource": DS,
            "repeat": repeat, "repeatDirection": "h", "maxPerRow": 3,
            "fieldConfig": {"defaults": {}, "overrides": []},
            "options": {"calculate": False, "cellGap": 1, "yAxis": {"unit": "none"},
                        "color": {"mode": "scheme", "scheme": "Oranges"},
                        "tooltip": {"show": True, "yHistogram": True}},
            "targets": [{"datasource": DS, "expr": expr, "format": "heatmap",
                         "legendFormat": "{{le}}", "range": True, "refId": "A"}]}


def mean_score(window, offset=""):
    """Mean propensity per model over `window` ending `offset` ago."""
    def part(metric):
        return (f"sum by (model) (rate({metric}{{{SSEL}, model=~\"$model\"}}[{window}]"
                f"{' offset ' + offset if offset else ''}))")
    return f"{part('cohort_model_score_sum')} / {part('cohort_model_score_count')}"


def scorer_panels(g):
    handled = "cohort_grpc_server_handled_total"
    seconds = "cohort_grpc_server_handling_seconds"
    score = f'{SCORING}, grpc_method="Score"'
    model = 'model=~"$model"'

    g.row("Scorer: Score RED")
    g.add(stat("Scorers up", "Scorer replicas Prometheus can scrape (alert CohortScorerDown).",
               f"sum(up{{{SSEL}}})", "none", []), 4, 4)
    g.add(stat("Score rate", "Score calls handled per second.",
               rate(handled, score, sel=SSEL), "reqps", []), 5, 4)
    g.add(stat("Score error ratio", "Share of Score calls that failed with a server-side code "
               "or FAILED_PRECONDITION (no model loaded); SLO: at most 0.1%.",
               ratio(f'grpc_code=~"{SCORE_ERRORS}"', handled, None, score, SSEL),
               "percentunit", [(0.001, "orange"), (0.0144, "red")]), 5, 4)
    g.add(stat("Score slower than 250 ms", "Share of Score calls over 250 ms (SLO: at most 1%).",
               'max(job:cohort_scorer_score_slow:ratio_rate5m{job="$scorer_job"})',
               "percentunit", [(0.01, "red")]), 5, 4)
    g.add(stat("Fewest models on a replica", "Models served by the replica that serves the "
               "fewest; 0 raises CohortScorerNoModel.",
               f"min(job_instance:cohort_model_loaded:count{{{SSEL}}})", "none",
               [(1, "green")], base="red"), 5, 4)
    g.add(timeseries("Scoring rate by method", "Calls of cohort.v1.Scoring handled per second.",
                     [(rate(handled, SCORING, "grpc_method", SSEL), "{{grpc_method}}")],
                     "reqps"), 8)
    g.add(timeseries("Scoring error ratio by method", "Failed with a server-side code or "
                     "FAILED_PRECONDITION / handled.",
                     [(ratio(f'grpc_code=~"{SCORE_ERRORS}"', handled, "grpc_method", SCORING,
                             SSEL), "{{grpc_method}}")], "percentunit"), 8)
    g.add(timeseries("Scoring non-OK responses by method and code", "INVALID_ARGUMENT "
                     "(bad ids, unknown model) included.",
                     [(rate(handled, f'{SCORING}, grpc_code!="OK"', "grpc_method, grpc_code",
                            SSEL), "{{grpc_method}} {{grpc_code}}")], "reqps"), 8)
    g.add(timeseries("Score latency", "Server-side handling time of Score: p50, p99 and p99 "
                     "per replica.",
                     [(quantile(0.5, seconds, "grpc_method", score, SSEL), "p50"),
                      (quantile(0.99, seconds, "grpc_method", score, SSEL), "p99"),
                      (quantile(0.99, seconds, "instance", score, SSEL), "p99 {{instance}}")],
                     "s"), 8)
    g.add(timeseries("Score availability SLO burn rate", "Failed share / the 0.1% budget; 14.4 "
                     "(5m and 1h) pages, 6 (30m and 6h) opens a ticket.",
                     [(f'job:cohort_scorer_score_errors:ratio_rate{w}{{job="$scorer_job"}} '
                       "/ 0.001", w) for w in ("5m", "30m", "1h", "6h")], "none"), 8)
    g.add(timeseries("Score latency SLO burn rate", "Share over 250 ms / the 1% budget; 14.4 "
                     "(5m and 1h) pages, 6 (30m and 6h) opens a ticket.",
                     [(f'job:cohort_scorer_score_slow:ratio_rate{w}{{job="$scorer_job"}} '
                       "/ 0.01", w) for w in ("5m", "30m", "1h", "6h")], "none"), 8)

    g.row("Scorer: store fetches per shard")
    fetch = "cohort_scorer_fetch_seconds"
    g.add(timeseries("Fetches by shard", "Feature/history sub-requests per second per store node.",
                     [(rate(fetch + "_count", by="shard", sel=SSEL), "{{shard}}")], "reqps"), 6)
    g.add(timeseries("Fetch latency by shard", "Sub-request latency, p50 and p99.",
                     [(quantile(0.5, fetch, "shard", sel=SSEL), "p50 {{shard}}"),
                      (quantile(0.99, fetch, "shard", sel=SSEL), "p99 {{shard}}")], "s"), 6)
    g.add(timeseries("Fetch errors by shard and code", "Failed sub-requests per second.",
                     [(rate("cohort_scorer_fetch_errors_total", by="shard, grpc_code",
                            sel=SSEL), "{{shard}} {{grpc_code}}")], "reqps"), 6)
    g.add(timeseries("Fetch error ratio by shard", "Failed / all sub-requests; alert "
                     "CohortScorerFetchErrors above 1% for 5 m.",
                     [('job_shard:cohort_scorer_fetch_errors:ratio_rate5m{job="$scorer_job"}',
                       "{{shard}}")], "percentunit"), 6)

    g.row("Models")
    g.add(table("Loaded model versions", "cohort_model_info: the version each replica serves.",
                f"cohort_model_info{{{SSEL}}}"), 8)
    g.add(timeseries("Model reloads", "Versions loaded (success) or refused (failure) since "
                     "each replica started.",
                     [(f"sum by (model, result) (cohort_model_reloads_total{{{SSEL}}})",
                       "{{model}} {{result}}")], "short"), 8)
    g.add(timeseries("Refused versions (15 m)", "Versions refused in the last 15 minutes; "
                     "above 0 raises CohortModelReloadFailed.",
                     [("job_instance_model:cohort_model_reload_failures:increase15m"
                       f"{{{SSEL}}}", "{{instance}} {{model}}")], "short"), 8)
    g.add(timeseries("Inference latency by model", "Model time per Score call, p50 and p99.",
                     [(quantile(0.5, "cohort_model_inference_seconds", "model", model, SSEL),
                       "p50 {{model}}"),
                      (quantile(0.99, "cohort_model_inference_seconds", "model", model, SSEL),
                       "p99 {{model}}")], "s"), 8)
    g.add(timeseries("Score quantiles by model", "Propensity scores: p10, p50, p90 (buckets "
                     "of 0.05).",
                     [(quantile(q, "cohort_model_score", "model", model, SSEL),
                       f"p{int(q * 100)} {{{{model}}}}") for q in (0.1, 0.5, 0.9)],
                     "percentunit", max_=1), 8)
    g.add(timeseries("Mean score: last hour vs the day before", "Drift: alert "
                     "CohortModelScoreDrift when they differ by more than 25% (with enough "
                     "scores). The day-before line needs a day of history.",
                     [(mean_score("1h"), "{{model}} last 1h"),
                      (mean_score("1d", "1h"), "{{model}} 24 h before")],
                     "percentunit", max_=1), 8)
    g.add(heatmap("Score distribution: $model", "Scores per bucket of 0.05 over time.",
                  f"sum by (le) (increase(cohort_model_score_bucket{{{SSEL}, {model}}}[{RI}]))",
                  "model"), 8)


def variables():
    def query_var(name, label, query, multi):
        v = {"name": name, "label": label, "type": "query", "datasource": DS,
             "definition": query, "query": {"query": query, "refId": "StandardVariableQuery"},
             "refresh": 2, "sort": 1, "hide": 0, "regex": "", "options": [], "current": {},
             "multi": multi, "includeAll": multi}
        if multi:
            v["allValue"] = ".*"
            v["current"] = {"selected": True, "text": ["All"], "value": ["$__all"]}
        return v

    return [
        {"name": "datasource", "label": "Data source", "type": "datasource",
         "query": "prometheus", "current": {}, "hide": 0, "refresh": 1, "regex": "",
         "options": []},
        query_var("job", "Job", 'label_values(cohort_build_info{component="store"}, job)', False),
        query_var("instance", "Node",
                  'label_values(cohort_build_info{job="$job", component="store"}, instance)', True),
        query_var("scorer_job", "Scorer job",
                  'label_values(cohort_build_info{component="scorer"}, job)', False),
        query_var("scorer_instance", "Scorer",
                  'label_values(cohort_build_info{job="$scorer_job", component="scorer"}, '
                  'instance)', True),
        query_var("model", "Model", 'label_values(cohort_model_info{job="$scorer_job"}, model)',
                  True),
    ]


def dashboard():
    return {
        "title": "Cohort store and scorer",
        "uid": "cohort-store",
        "description": "RED per method and node, RocksDB, freshness, features served and "
                       "ingest of the Cohort feature store; Score RED, store fetches per "
                       "shard, model versions, reloads, latency and score distributions of "
                       "the scorer. Generated by deploy/grafana/make_dashboard.py.",
        "tags": ["cohort"],
        "editable": True,
        "graphTooltip": 1,
        "refresh": "30s",
        "schemaVersion": 37,
        "version": 1,
        "time": {"from": "now-3h", "to": "now"},
        "timepicker": {},
        "timezone": "",
        "annotations": {"list": [{
            "builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"},
            "enable": True, "hide": True, "iconColor": "rgba(0, 211, 255, 1)",
            "name": "Annotations & Alerts", "type": "dashboard"}]},
        "links": [],
        "templating": {"list": variables()},
        "panels": panels(),
    }


def main():
    parser = argparse.ArgumentParser(description="Generates cohort-dashboard.json.")
    parser.add_argument("--check", action="store_true",
                        help="compare with the file instead of writing it")
    args = parser.parse_args()
    text = json.dumps(dashboard(), indent=2) + "\n"
    if args.check:
        with open(OUT) as f:
            if f.read() != text:
                sys.exit(f"{OUT} is out of date: run {sys.argv[0]}")
        return
    with open(OUT, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
