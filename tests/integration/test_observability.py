"""End to end: three cohort-store nodes scraped by a real Prometheus (/usr/bin/prometheus)
that loads deploy/prometheus/cohort-rules.yml; every dashboard and rule expression must
parse and return data.

Set-up: a LocalCluster of 3 nodes; Prometheus on 127.0.0.1 (a free port) with a temp TSDB,
scrape and rule evaluation every 1 s, static targets = the nodes' metrics addresses, job
"cohort-store". After the targets are up (a baseline scrape), the test drives traffic
(cohortctl import of a small datagen set; GetFeatures with and without as_of, for known and
unknown customers; an invalid id; a request to the wrong node; an invalid event), then waits
until every target was scraped twice after it, polling the HTTP API with a deadline.

Checks:
- Dashboard (deploy/grafana/cohort-dashboard.json): every target expression, with
  $job = cohort-store, $__rate_interval = 1m and $instance = .* ("All") and then each node's
  address (regex-escaped for a PromQL string, as Grafana does), returns >= 1 series; every
  `label_values(<selector>, <label>)` variable query returns series carrying <label>.
- Rules, as loaded by the server (/api/v1/rules, cross-checked with the file): every rule's
  health is ok; every recording rule's expression returns >= 1 series, and so does the
  series it records. Alert expressions are written as clauses `<value> <cmp> <number>`
  joined by top-level `and`/`or` (see the rules file header): the full expression must
  parse, and each clause's value expression - the clause with its trailing comparison
  stripped - must return >= 1 series. So a condition that is false today is still checked
  for data.
- `promtool check metrics` passes on every node's /metrics page.
- A few counters match the traffic exactly (events applied, rejected, refused requests).
"""

import json
import os
import re
import subprocess
import sys
import time
import unittest
import urllib.request

from clustertest import (BUILD_DIR, SOURCE_DIR, ClusterTestCase, Router, cohortctl, generate,
                         localcluster, pb2)

sys.path.insert(0, os.path.join(SOURCE_DIR, "deploy", "prometheus"))
import promconfig  # noqa: E402

import grpc  # noqa: E402

DASHBOARD = os.path.join(SOURCE_DIR, "deploy", "grafana", "cohort-dashboard.json")
CUSTOMERS = 200
JOB = promconfig.STORE_JOB
RATE_INTERVAL = "1m"
WAIT = 60  # seconds: bound on every wait for Prometheus


def walk_panels(panels):
    for p in panels:
        yield p
        yield from walk_panels(p.get("panels", []))


def substitute(expr, values):
    """Replaces $var and ${var} with values[var]; fails on a variable it does not know."""
    def repl(m):
        name = m.group(1) or m.group(2)
        if name not in values:
            raise KeyError(f"unknown dashboard variable ${name} in {expr}")
        return values[name]
    return re.sub(r"\$\{(\w+)\}|\$(\w+)", repl, expr)


def split_top_level(expr, ops=("and", "or", "unless")):
    """Splits at binary set operators outside (), {}, [] and string literals."""
    parts, depth, quote, start, i = [], 0, None, 0, 0
    op_re = re.compile(r"\b(%s)\b" % "|".join(ops))
    while i < len(expr):
        c = expr[i]
        if quote:
            if c == "\\":
                i += 1
            elif c == quote:
                quote = None
        elif c in "\"'`":
            quote = c
        elif c in "({[":
            depth += 1
        elif c in ")}]":
            depth -= 1
        elif depth == 0:
            m = op_re.match(expr, i)
            if m and (i == 0 or not (expr[i - 1].isalnum() or expr[i - 1] in "_:")):
                parts.append(expr[start:i])
                i = start = m.end()
                continue
        i += 1
    parts.append(expr[start:])
    return [p.strip() for p in parts]


def strip_parens(expr):
    """'( x )' -> 'x' when the parentheses enclose the whole expression."""
    while expr.startswith("(") and expr.endswith(")"):
        depth = 0
        for i, c in enumerate(expr):
            depth += c == "("
            depth -= c == ")"
            if depth == 0 and i < len(expr) - 1:
                return expr
        expr = expr[1:-1].strip()
    return expr


COMPARISON = re.compile(r"^(?P<value>.+?)\s*(?:==|!=|>=|<=|>|<)\s*(?:bool\s+)?"
                        r"(?P<threshold>[-+]?[0-9][0-9.eE+-]*)$", re.S)


def alert_value_expressions(expr):
    """The value expressions of an alert: each top-level clause minus its comparison."""
    values = []
    for clause in split_top_level(strip_parens(expr.strip())):
        clause = strip_parens(clause)
        if len(split_top_level(clause)) > 1:  # a parenthesised group of clauses
            values += alert_value_expressions(clause)
            continue
        m = COMPARISON.match(clause)
        if not m:
            raise ValueError(f"alert clause is not '<value> <cmp> <number>': {clause!r}")
        values.append(strip_parens(m.group("value").strip()))
    return values


class ObservabilityTest(ClusterTestCase):
    @classmethod
    def setUpClass(cls):
        cls.cluster = cls.prometheus = cls.router = None
        try:
            cls._set_up()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def _set_up(cls):
        work = cls.make_workdir()
        cls.events, cls.attributes, cls.as_of = generate(work, CUSTOMERS, seed=5)
        cls.cluster = localcluster.LocalCluster(BUILD_DIR, os.path.join(work, "cluster"),
                                                nodes=3)
        cls.cluster.start()
        cls.targets = [cls.cluster.metrics_address(i) for i in range(cls.cluster.n)]
        config = promconfig.render(cls.targets, [promconfig.RULES_FILE], scrape_interval="1s")
        cls.prometheus = promconfig.PrometheusServer(os.path.join(work, "prometheus"),
                                                     config).start()
        cls.router = Router(cls.cluster)
        cls.wait_targets_up()
        cls.traffic = cls.drive_traffic()
        cls.wait_scrapes_after(time.time())

    @classmethod
    def tearDownClass(cls):
        try:
            if cls.router:
                cls.router.close()
        finally:
            try:
                if cls.prometheus:
                    cls.prometheus.stop()
            finally:
                try:
                    if cls.cluster:
                        cls.cluster.stop()
                finally:
                    super().tearDownClass()

    # --- set-up helpers ---------------------------------------------------------------------
    @classmethod
    def wait_targets_up(cls):
        deadline = time.monotonic() + WAIT
        while True:
            active = cls.prometheus.api("targets")["data"]["activeTargets"]
            if len(active) == len(cls.targets) and all(t["health"] == "up" for t in active):
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"targets not up after {WAIT}s: {json.dumps(active)}\n"
                                   f"{cls.prometheus.tail_log()}")
            time.sleep(0.2)

    @classmethod
    def wait_scrapes_after(cls, t):
        """Waits until every target has a sample later than t + 1 s (two 1 s scrapes)."""
        expr = f'count(timestamp(up{{job="{JOB}"}}) > {t + 1.0})'
        deadline = time.monotonic() + WAIT
        while True:
            result = cls.prometheus.query(expr)["data"]["result"]
            if result and int(float(result[0]["value"][1])) == len(cls.targets):
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"no two scrapes of every target within {WAIT}s")
            time.sleep(0.2)

    @classmethod
    def drive_traffic(cls):
        """Sends every kind of request to every node; returns the expected counts."""
        cohortctl("import", f"--shard_map={cls.cluster.shard_map_path}",
                  f"--events={cls.events}", f"--attributes={cls.attributes}")
        with open(cls.events) as f:
            events = sum(1 for _ in f) - 1
        n = cls.cluster.n
        owned = {i: [] for i in range(n)}
        for k in range(CUSTOMERS):
            cid = f"cust-{k:08d}"
            owned[cls.router.node_of(cid)].append(cid)
        unknown = {}
        for k in range(10000):
            cid = f"cust-unknown-{k}"
            unknown.setdefault(cls.router.node_of(cid), cid)
            if len(unknown) == n:
                break
        refused = {"INVALID_ARGUMENT": 0, "FAILED_PRECONDITION": 0}
        for i, stub in enumerate(cls.router.stubs):
            ids = owned[i][:5] + [unknown[i]]
            req = pb2.GetFeaturesRequest(customer_ids=ids)
            stub.GetFeatures(req, timeout=10)
            req.as_of.seconds = cls.as_of
            stub.GetFeatures(req, timeout=10)
            for bad, code in ((["x" * 300], "INVALID_ARGUMENT"),
                              ([owned[(i + 1) % n][0]], "FAILED_PRECONDITION")):
                try:
                    stub.GetFeatures(pb2.GetFeaturesRequest(customer_ids=bad), timeout=10)
                    raise AssertionError(f"node {i} served {bad[0][:20]}")
                except grpc.RpcError as e:
                    if e.code().name != code:
                        raise AssertionError(f"node {i}: {e.code().name} for {bad[0][:20]}, "
                                             f"expected {code}: {e.details()}")
                    refused[code] += 1
            event = pb2.Event(event_id=f"bad-{i}", customer_id=owned[i][0], type="purchase",
                              channel="web", quantity=-1)
            event.time.seconds = cls.as_of - 3600
            resp = stub.Ingest(pb2.IngestRequest(events=[event]), timeout=10)
            if resp.rejected != 1:
                raise AssertionError(f"node {i} did not reject a negative quantity: {resp}")
        return {"applied": events, "rejected": n, **refused}

    # --- query helpers ----------------------------------------------------------------------
    def query_series(self, expr, what):
        """Polls (bounded) until `expr` returns >= 1 series; returns them."""
        deadline = time.monotonic() + WAIT
        while True:
            body = self.prometheus.query(expr)
            self.assertEqual(body.get("status"), "success",
                             f"{what}: {expr}\n{body.get('error')}")
            if body["data"]["result"]:
                return body["data"]["result"]
            if time.monotonic() > deadline:
                self.fail(f"{what}: no series for {expr}")
            time.sleep(0.25)

    def scalar(self, expr):
        result = self.query_series(expr, "counter")
        return float(result[0]["value"][1])

    def dashboard(self):
        with open(DASHBOARD) as f:
            return json.load(f)

    def instance_choices(self):
        # "All" (.*), then each node as Grafana formats one selected value for =~ in PromQL:
        # regex-escaped, with the backslashes escaped again for the string literal.
        return [".*"] + [re.escape(t).replace("\\", "\\\\") for t in self.targets]

    # --- tests ------------------------------------------------------------------------------
    def test_dashboard_expressions_return_data(self):
        board = self.dashboard()
        exprs = [(p["title"], t["expr"]) for p in walk_panels(board["panels"])
                 for t in p.get("targets", [])]
        self.assertGreaterEqual(len(exprs), 30)
        checked = 0
        for instance in self.instance_choices():
            values = {"job": JOB, "instance": instance, "__rate_interval": RATE_INTERVAL,
                      "datasource": "unused"}
            for title, expr in exprs:
                with self.subTest(panel=title, instance=instance):
                    self.query_series(substitute(expr, values), f"panel {title!r}")
                    checked += 1
        print(f"\ndashboard: {len(exprs)} expressions x {len(self.instance_choices())} "
              f"instance selections = {checked} queries returned data", file=sys.stderr)

    def test_dashboard_variables_return_values(self):
        variables = [v for v in self.dashboard()["templating"]["list"] if v["type"] == "query"]
        self.assertEqual({v["name"] for v in variables}, {"job", "instance"})
        for v in variables:
            query = v["query"]["query"] if isinstance(v["query"], dict) else v["query"]
            m = re.fullmatch(r"label_values\((.+),\s*(\w+)\)", query)
            self.assertIsNotNone(m, f"variable {v['name']}: {query}")
            selector = substitute(m.group(1), {"job": JOB})
            series = self.query_series(selector, f"variable {v['name']}")
            found = sorted({s["metric"].get(m.group(2)) for s in series} - {None})
            self.assertTrue(found, f"variable {v['name']}: no {m.group(2)} label on {selector}")
            if v["name"] == "instance":
                self.assertEqual(found, sorted(self.targets))
            else:
                self.assertEqual(found, [JOB])

    def loaded_rules(self):
        groups = self.prometheus.api("rules")["data"]["groups"]
        rules = [r for g in groups for r in g["rules"]]
        with open(promconfig.RULES_FILE) as f:
            in_file = len(re.findall(r"^\s*- (?:record|alert):", f.read(), re.M))
        self.assertEqual(len(rules), in_file, "Prometheus did not load every rule of the file")
        return rules

    def test_recording_rules_return_data(self):
        rules = [r for r in self.loaded_rules() if r["type"] == "recording"]
        self.assertGreaterEqual(len(rules), 10)
        for r in rules:
            with self.subTest(record=r["name"]):
                self.query_series(r["query"], f"record {r['name']}")
                self.query_series(r["name"], f"recorded series {r['name']}")
        # Health is reported after an evaluation: by now every rule has been evaluated.
        for r in self.loaded_rules():
            with self.subTest(rule=r["name"]):
                self.assertEqual(r["health"], "ok", r.get("lastError"))

    def test_alert_value_expressions_return_data(self):
        alerts = [r for r in self.loaded_rules() if r["type"] == "alerting"]
        self.assertEqual(len({a["name"] for a in alerts}), 8)
        checked = 0
        for a in alerts:
            with self.subTest(alert=a["name"], severity=a["labels"].get("severity")):
                body = self.prometheus.query(a["query"])
                self.assertEqual(body.get("status"), "success", f"{a['query']}: {body}")
                for value in alert_value_expressions(a["query"]):
                    self.query_series(value, f"alert {a['name']}")
                    checked += 1
        print(f"\nalerts: {len(alerts)} rules, {checked} value expressions returned data",
              file=sys.stderr)

    def test_promtool_check_metrics_on_every_node(self):
        for target in self.targets:
            with self.subTest(node=target):
                with urllib.request.urlopen(f"http://{target}/metrics", timeout=10) as r:
                    page = r.read()
                out = subprocess.run(["promtool", "check", "metrics"], input=page,
                                     capture_output=True)
                self.assertEqual(out.returncode, 0,
                                 (out.stdout + out.stderr).decode(errors="replace"))

    def test_counters_match_the_traffic(self):
        t = self.traffic
        sel = f'job="{JOB}"'
        self.assertEqual(self.scalar(f"sum(up{{{sel}}})"), 3)
        self.assertEqual(self.scalar(f'count(cohort_build_info{{{sel}, component="store"}})'), 3)
        self.assertEqual(
            self.scalar(f'sum(cohort_store_ingest_events_total{{{sel}, result="applied"}})'),
            t["applied"])
        self.assertEqual(
            self.scalar(f'sum(cohort_store_ingest_events_total{{{sel}, result="rejected"}})'),
            t["rejected"])
        self.assertEqual(
            self.scalar(f'sum(cohort_store_ingest_rejected_total{{{sel}, reason="quantity"}})'),
            t["rejected"])
        for code in ("INVALID_ARGUMENT", "FAILED_PRECONDITION"):
            self.assertEqual(self.scalar(
                f'sum(cohort_grpc_server_handled_total{{{sel}, grpc_method="GetFeatures", '
                f'grpc_code="{code}"}})'), t[code], code)
        self.assertEqual(self.scalar(f"max(cohort_store_shard_map_epoch{{{sel}}})"), 1)
        self.assertEqual(self.scalar(f"sum(cohort_store_owned_partitions{{{sel}}})"),
                         self.cluster.partitions)


class AlertExpressionSplitTest(unittest.TestCase):
    """The clause splitting the alert check relies on (no cluster needed)."""

    def test_splits_top_level_and_or_and_strips_comparisons(self):
        self.assertEqual(alert_value_expressions('up{job="a"} == 0'), ['up{job="a"}'])
        self.assertEqual(
            alert_value_expressions("(a:r5m > 0.144\nand\nb:r1h > 1e-3) or max by (job, or_x) "
                                    '(c{s=~"x|or"}) == 1'),
            ["a:r5m", "b:r1h", 'max by (job, or_x) (c{s=~"x|or"})'])
        self.assertEqual(alert_value_expressions("stale_or_not_found:ratio > 0.25"),
                         ["stale_or_not_found:ratio"])

    def test_rejects_a_clause_without_a_numeric_threshold(self):
        with self.assertRaises(ValueError):
            alert_value_expressions("a > b")


if __name__ == "__main__":
    unittest.main(verbosity=2)
