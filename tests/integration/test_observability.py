"""End to end: three cohort-store nodes and a cohort-scorer scraped by a real Prometheus
(/usr/bin/prometheus) that loads deploy/prometheus/cohort-rules.yml; every dashboard and rule
expression must parse and return data.

Set-up: a small datagen set; cohort-train builds every model from it (offline mode); a
LocalCluster of 3 nodes plus a scorer on those models (--reload_interval_s=0: only
ReloadModels rescans; a 2 s fetch deadline); Prometheus on 127.0.0.1 (a free port) with a
temp TSDB, scrape and rule evaluation every 1 s, static targets = the nodes' metrics
addresses (job "cohort-store") and the scorer's (job "cohort-scorer"). After the targets
are up (a baseline scrape), the test drives traffic, then waits until every target was
scraped twice after it, polling the HTTP API with a deadline:
- store: cohortctl import of the data set; GetFeatures with and without as_of, for known and
  unknown customers; an invalid id; a request to the wrong node; an invalid event;
- scorer: Score batches over every customer with segmentation, every propensity model and
  recommendations; a Score call naming an unknown model (INVALID_ARGUMENT); one Score call
  while a store node is stopped (SIGSTOP, then SIGCONT), so that its customers' fetches fail;
  a corrupt version (a flipped byte in a file the manifest lists) dropped into the models
  folder, then ReloadModels, which must refuse it.

Checks:
- Dashboard (deploy/grafana/cohort-dashboard.json): every target expression, with
  $job = cohort-store, $scorer_job = cohort-scorer, $model = .*, $__rate_interval = 1m, and
  $instance / $scorer_instance = .* ("All"), then each node's and the scorer's address
  (regex-escaped for a PromQL string, as Grafana does), returns >= 1 series; every
  `label_values(<selector>, <label>)` variable query returns series carrying <label>.
- Rules, as loaded by the server (/api/v1/rules, cross-checked with the file): every rule's
  health is ok; every recording rule's expression returns >= 1 series, and so does the
  series it records. Alert expressions are written as clauses `<value> <cmp> <number>`
  joined by top-level `and`/`or` (see the rules file header): the full expression must
  parse, and each clause's value expression - the clause with its trailing comparison
  stripped - must return >= 1 series. So a condition that is false today is still checked
  for data.
- Long windows. A few expressions compare with the past through `offset 1h` or more (the
  score drift reference: the day before the last hour); a test lasting minutes has no data
  there, so they cannot return series. For those, and only those (an expression with such an
  offset, or one using a recording rule that has one, directly or through other rules): the
  expression as written must parse (status success), and the same expression with every
  recording rule it uses inlined and every `offset` removed must return >= 1 series. That
  evaluates the same selectors, windows, aggregations and arithmetic over the data there is.
  Recording rules with such an offset must say so in their name (`_offset`); the checks
  print how many expressions were evaluated this way. Shorter offsets (the 15 m look-back
  of the reload-failure rule) are evaluated as written.
- `promtool check metrics` passes on every node's and the scorer's /metrics page.
- A few counters match the traffic exactly (events applied, rejected, refused requests;
  Score calls by code, scores observed, models loaded, the refused version, fetch errors
  only from the stopped node).
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import unittest
import urllib.request

from clustertest import (BUILD_DIR, SOURCE_DIR, ClusterTestCase, Router, cohortctl, generate,
                         localcluster, pb2)
from cohort.v1 import scoring_pb2, scoring_pb2_grpc  # noqa: E402  (clustertest set the path)

sys.path.insert(0, os.path.join(SOURCE_DIR, "deploy", "prometheus"))
import promconfig  # noqa: E402

import grpc  # noqa: E402

DASHBOARD = os.path.join(SOURCE_DIR, "deploy", "grafana", "cohort-dashboard.json")
CUSTOMERS = 200
JOB = promconfig.STORE_JOB
SCORER_JOB = promconfig.SCORER_JOB
RATE_INTERVAL = "1m"
WAIT = 60  # seconds: bound on every wait for Prometheus
SCORE_BATCH = 50
CORRUPT_MODEL = "propensity_churn_90d"  # gets a corrupt new version
STOPPED_NODE = 1  # SIGSTOPped during one Score call
# An `offset` this long (or longer) reaches before any test run: see "Long windows" above.
LONG_OFFSET_SECONDS = 3600
OFFSET = re.compile(r"\s+offset\s+(-?[0-9][0-9smhdwy]*)")


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


def duration_seconds(text):
    """PromQL duration ('1h', '1d', '1h30m') -> seconds."""
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
    parts = re.findall(r"([0-9]+)(ms|[smhdwy])", text)
    if not parts or "".join(n + u for n, u in parts) != text.lstrip("-"):
        raise ValueError(f"not a PromQL duration: {text!r}")
    return sum(int(n) * units[u] for n, u in parts)


class RecordingRules:
    """The recording rules of the rules file (name -> expression), for inlining."""

    def __init__(self, rules):
        self.exprs = {r["name"]: r["query"] for r in rules if r["type"] == "recording"}
        names = sorted(self.exprs, key=len, reverse=True)
        self.name_re = re.compile(r"(?<![\w:])(%s)(?![\w:])(\s*\{)?" % "|".join(
            re.escape(n) for n in names)) if names else None

    def inline(self, expr):
        """expr with every recording rule it uses replaced by its expression, recursively.
        Raises ValueError for a recorded name with a selector (it cannot be inlined)."""
        if self.name_re is None:
            return expr

        def repl(m):
            if m.group(2):
                raise ValueError(f"cannot inline {m.group(1)} with a selector in {expr}")
            return "(" + self.inline(self.exprs[m.group(1)]) + ")"
        return self.name_re.sub(repl, expr)

    def uses_long_offset(self, expr):
        inlined = self.name_re.sub(lambda m: "(" + self.exprs[m.group(1)] + ")", expr) \
            if self.name_re else expr
        if inlined != expr:
            return self.uses_long_offset(inlined)
        return any(duration_seconds(d) >= LONG_OFFSET_SECONDS for d in OFFSET.findall(expr))


def wait_stopped(pid, timeout=WAIT):
    """Waits until every thread of `pid` is stopped (SIGSTOP is delivered asynchronously)."""
    deadline = time.monotonic() + timeout
    task_dir = f"/proc/{pid}/task"
    while True:
        states = []
        for tid in os.listdir(task_dir):
            try:
                with open(f"{task_dir}/{tid}/stat") as f:
                    states.append(f.read().rsplit(")", 1)[1].split()[0])
            except FileNotFoundError:  # a thread that just exited
                pass
        if states and all(s in "Tt" for s in states):
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"process {pid} not stopped after {timeout}s: states {states}")
        time.sleep(0.01)


def without_offsets(expr):
    return OFFSET.sub("", expr)


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
        cls.models_dir = os.path.join(work, "models")
        subprocess.run([localcluster.find_binary(BUILD_DIR, "cohort-train"),
                        f"--events_csv={cls.events}", f"--attributes_csv={cls.attributes}",
                        f"--models_dir={cls.models_dir}", f"--work_dir={work}",
                        "--progress=false"], check=True, capture_output=True)
        cls.cluster = localcluster.LocalCluster(BUILD_DIR, os.path.join(work, "cluster"),
                                                nodes=3)
        cls.cluster.start()
        cls.targets = [cls.cluster.metrics_address(i) for i in range(cls.cluster.n)]
        # A generous fetch deadline: a busy machine must not fail fetches; the stopped node's
        # fetches still fail (after 2 s).
        cls.cluster.start_scorer(cls.models_dir,
                                 ["--reload_interval_s=0", "--fetch_deadline_ms=2000"])
        with open(cls.cluster.scorer_metrics_port_file()) as f:
            cls.scorer_target = f.read().strip()
        config = promconfig.render(cls.targets, [promconfig.RULES_FILE], scrape_interval="1s",
                                   scorer_targets=[cls.scorer_target])
        cls.prometheus = promconfig.PrometheusServer(os.path.join(work, "prometheus"),
                                                     config).start()
        cls.router = Router(cls.cluster)
        cls.wait_targets_up()
        cls.traffic = cls.drive_traffic()
        cls.traffic.update(cls.drive_scorer_traffic())
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
            if len(active) == len(cls.targets) + 1 and all(t["health"] == "up" for t in active):
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"targets not up after {WAIT}s: {json.dumps(active)}\n"
                                   f"{cls.prometheus.tail_log()}")
            time.sleep(0.2)

    @classmethod
    def wait_scrapes_after(cls, t):
        """Waits until every target has a sample later than t + 1 s (two 1 s scrapes)."""
        expr = f'count(timestamp(up{{job=~"{JOB}|{SCORER_JOB}"}}) > {t + 1.0})'
        deadline = time.monotonic() + WAIT
        while True:
            result = cls.prometheus.query(expr)["data"]["result"]
            if result and int(float(result[0]["value"][1])) == len(cls.targets) + 1:
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

    @classmethod
    def drive_scorer_traffic(cls):
        """Score calls of every kind, a store node stopped during one, a refused reload;
        returns the expected counts."""
        with grpc.insecure_channel(cls.cluster.scorer_address) as channel:
            stub = scoring_pb2_grpc.ScoringStub(channel)
            models = stub.ListModels(scoring_pb2.ListModelsRequest(), timeout=10).models
            cls.models = sorted(m.name for m in models)
            propensity = [m.name for m in models if m.kind == "propensity"]
            if CORRUPT_MODEL not in propensity or len(cls.models) < 4:
                raise AssertionError(f"cohort-train did not build every model: {cls.models}")
            ids = [f"cust-{k:08d}" for k in range(CUSTOMERS)]

            def score(batch):
                req = scoring_pb2.ScoreRequest(customer_ids=batch, segmentation=True,
                                               propensity_models=propensity)
                req.recommendations.k = 5
                return stub.Score(req, timeout=30)

            ok_calls, scores = 0, 0
            for b in range(0, len(ids), SCORE_BATCH):
                resp = score(ids[b:b + SCORE_BATCH])
                ok_calls += 1
                for c in resp.customers:
                    if c.status_code != 0:
                        raise AssertionError(f"{c.customer_id} not scored: {c.status_message}")
                    scores += len(c.propensities)
            try:
                stub.Score(scoring_pb2.ScoreRequest(customer_ids=ids[:1],
                                                    propensity_models=["no_such_model"]),
                           timeout=10)
                raise AssertionError("Score accepted an unknown model")
            except grpc.RpcError as e:
                if e.code() != grpc.StatusCode.INVALID_ARGUMENT:
                    raise
            # One call while a store node cannot answer: its customers' fetches time out.
            stopped = [c for c in ids if cls.router.node_of(c) == STOPPED_NODE][:3]
            others = [c for c in ids if cls.router.node_of(c) != STOPPED_NODE][:3]
            pid = cls.cluster.procs[STOPPED_NODE].pid
            os.kill(pid, signal.SIGSTOP)
            try:
                wait_stopped(pid)
                resp = score(stopped + others)
            finally:
                os.kill(pid, signal.SIGCONT)
            ok_calls += 1
            failed = sorted(c.customer_id for c in resp.customers if c.status_code != 0)
            if failed != sorted(stopped):
                raise AssertionError(f"with {cls.cluster.node_id(STOPPED_NODE)} stopped, "
                                     f"unscored: {failed}, expected {sorted(stopped)}")
            scores += sum(len(c.propensities) for c in resp.customers)
            # A corrupt new version: refused, the served one keeps serving.
            corrupt_version = cls.drop_corrupt_version(CORRUPT_MODEL)
            outcomes = stub.ReloadModels(scoring_pb2.ReloadModelsRequest(), timeout=30).outcomes
            tried = [(o.model, o.version, o.loaded) for o in outcomes]
            if tried != [(CORRUPT_MODEL, corrupt_version, False)]:
                raise AssertionError(f"ReloadModels tried {tried}; expected the corrupt "
                                     f"{CORRUPT_MODEL} version {corrupt_version} refused")
        return {"score_ok": ok_calls, "score_invalid": 1, "scores": scores,
                "reload_failures": 1}

    @classmethod
    def drop_corrupt_version(cls, model):
        """Copies the newest version of `model` as the next version with one byte of a
        listed file flipped (written aside, then renamed into place); returns its number."""
        folder = os.path.join(cls.models_dir, model)
        newest = max(int(v) for v in os.listdir(folder) if v.isdigit())
        tmp = os.path.join(folder, f".tmp-corrupt-{newest + 1}")
        shutil.copytree(os.path.join(folder, str(newest)), tmp)
        with open(os.path.join(tmp, "manifest.json")) as f:
            manifest = json.load(f)
        manifest["version"] = str(newest + 1)
        with open(os.path.join(tmp, "manifest.json"), "w") as f:
            json.dump(manifest, f)
        victim = os.path.join(tmp, manifest["files"][0]["name"])
        with open(victim, "r+b") as f:
            first = f.read(1)
            f.seek(0)
            f.write(bytes([first[0] ^ 0xFF]))
        os.rename(tmp, os.path.join(folder, str(newest + 1)))
        return newest + 1

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

    def recording_rules(self):
        if not hasattr(self, "_recording"):
            self._recording = RecordingRules(self.loaded_rules())
        return self._recording

    def check_returns_data(self, expr, what):
        """query_series(expr), except for an expression reaching back an hour or more (see
        "Long windows" in the module doc): it must parse, and its offset-free inlined form
        must return data. Returns True when the long-window form was used."""
        rules = self.recording_rules()
        if not rules.uses_long_offset(expr):
            self.query_series(expr, what)
            return False
        body = self.prometheus.query(expr)
        self.assertEqual(body.get("status"), "success", f"{what}: {expr}\n{body.get('error')}")
        self.query_series(without_offsets(rules.inline(expr)), f"{what} (offsets removed)")
        return True

    def dashboard(self):
        with open(DASHBOARD) as f:
            return json.load(f)

    def instance_choices(self):
        """(store instance, scorer instance) selections: "All" (.*) for both, then each node
        and the scorer as Grafana formats one selected value for =~ in PromQL: regex-escaped,
        with the backslashes escaped again for the string literal."""
        def one(t):
            return re.escape(t).replace("\\", "\\\\")
        return ([(".*", ".*")] + [(one(t), ".*") for t in self.targets] +
                [(".*", one(self.scorer_target))])

    # --- tests ------------------------------------------------------------------------------
    def test_dashboard_expressions_return_data(self):
        board = self.dashboard()
        exprs = [(p["title"], t["expr"]) for p in walk_panels(board["panels"])
                 for t in p.get("targets", [])]
        self.assertGreaterEqual(len(exprs), 60)
        self.assertTrue(any("scorer_job" in e for _, e in exprs), "no scorer panel")
        checked, long_window = 0, 0
        for instance, scorer in self.instance_choices():
            values = {"job": JOB, "instance": instance, "scorer_job": SCORER_JOB,
                      "scorer_instance": scorer, "model": ".*",
                      "__rate_interval": RATE_INTERVAL, "datasource": "unused"}
            for title, expr in exprs:
                with self.subTest(panel=title, instance=instance, scorer=scorer):
                    long_window += self.check_returns_data(substitute(expr, values),
                                                           f"panel {title!r}")
                    checked += 1
        print(f"\ndashboard: {len(exprs)} expressions x {len(self.instance_choices())} "
              f"instance selections = {checked} queries returned data ({long_window} of them "
              "with offsets removed)", file=sys.stderr)

    def test_dashboard_variables_return_values(self):
        variables = [v for v in self.dashboard()["templating"]["list"] if v["type"] == "query"]
        expected = {"job": [JOB], "instance": sorted(self.targets), "scorer_job": [SCORER_JOB],
                    "scorer_instance": [self.scorer_target], "model": self.models}
        self.assertEqual({v["name"] for v in variables}, set(expected))
        for v in variables:
            query = v["query"]["query"] if isinstance(v["query"], dict) else v["query"]
            m = re.fullmatch(r"label_values\((.+),\s*(\w+)\)", query)
            self.assertIsNotNone(m, f"variable {v['name']}: {query}")
            selector = substitute(m.group(1), {"job": JOB, "scorer_job": SCORER_JOB})
            series = self.query_series(selector, f"variable {v['name']}")
            found = sorted({s["metric"].get(m.group(2)) for s in series} - {None})
            self.assertTrue(found, f"variable {v['name']}: no {m.group(2)} label on {selector}")
            self.assertEqual(found, expected[v["name"]], f"variable {v['name']}")

    def loaded_rules(self):
        groups = self.prometheus.api("rules")["data"]["groups"]
        rules = [r for g in groups for r in g["rules"]]
        with open(promconfig.RULES_FILE) as f:
            in_file = len(re.findall(r"^\s*- (?:record|alert):", f.read(), re.M))
        self.assertEqual(len(rules), in_file, "Prometheus did not load every rule of the file")
        return rules

    def test_recording_rules_return_data(self):
        rules = [r for r in self.loaded_rules() if r["type"] == "recording"]
        self.assertGreaterEqual(len(rules), 30)
        long_window = []
        for r in rules:
            with self.subTest(record=r["name"]):
                if self.check_returns_data(r["query"], f"record {r['name']}"):
                    long_window.append(r["name"])
                    if OFFSET.search(r["query"]):
                        self.assertIn("_offset", r["name"],
                                      "a rule reaching back an hour or more must say so")
                self.check_returns_data(r["name"], f"recorded series {r['name']}")
        self.assertIn("job_model:cohort_model_score:drift_ratio1h", long_window)
        print(f"\nrecording rules: {len(rules)} returned data; evaluated with offsets removed "
              f"(long windows): {', '.join(long_window)}", file=sys.stderr)
        # Health is reported after an evaluation: by now every rule has been evaluated.
        for r in self.loaded_rules():
            with self.subTest(rule=r["name"]):
                self.assertEqual(r["health"], "ok", r.get("lastError"))

    def test_alert_value_expressions_return_data(self):
        alerts = [r for r in self.loaded_rules() if r["type"] == "alerting"]
        self.assertEqual(len({a["name"] for a in alerts}), 16)
        checked, long_window = 0, 0
        for a in alerts:
            with self.subTest(alert=a["name"], severity=a["labels"].get("severity")):
                body = self.prometheus.query(a["query"])
                self.assertEqual(body.get("status"), "success", f"{a['query']}: {body}")
                for value in alert_value_expressions(a["query"]):
                    long_window += self.check_returns_data(value, f"alert {a['name']}")
                    checked += 1
        print(f"\nalerts: {len(alerts)} rules, {checked} value expressions returned data "
              f"({long_window} with offsets removed)", file=sys.stderr)

    def test_promtool_check_metrics_on_every_node(self):
        for target in self.targets + [self.scorer_target]:
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

    def test_scorer_counters_match_the_traffic(self):
        t = self.traffic
        sel = f'job="{SCORER_JOB}"'
        score = f'{sel}, grpc_service="cohort.v1.Scoring", grpc_method="Score"'
        self.assertEqual(self.scalar(f'count(cohort_build_info{{{sel}, component="scorer"}})'), 1)
        self.assertEqual(self.scalar(f'sum(cohort_grpc_server_handled_total{{{score}, '
                                     'grpc_code="OK"})'), t["score_ok"])
        self.assertEqual(self.scalar(f'sum(cohort_grpc_server_handled_total{{{score}, '
                                     'grpc_code="INVALID_ARGUMENT"})'), t["score_invalid"])
        self.assertEqual(self.scalar(f"sum(cohort_model_score_count{{{sel}}})"), t["scores"])
        # Every model still serves its first version; the corrupt one was refused.
        info = self.query_series(f"cohort_model_info{{{sel}}}", "model info")
        self.assertEqual(sorted((s["metric"]["model"], s["metric"]["version"]) for s in info),
                         [(m, "1") for m in self.models])
        self.assertEqual(self.scalar(f'sum(cohort_model_reloads_total{{{sel}, '
                                     'result="success"})'), len(self.models))
        failures = self.query_series(f'cohort_model_reloads_total{{{sel}, result="failure"}}',
                                     "reload failures")
        self.assertEqual([(s["metric"]["model"], float(s["value"][1])) for s in failures],
                         [(CORRUPT_MODEL, t["reload_failures"])])
        # The recording rule behind CohortModelReloadFailed sees the new failure series.
        self.assertEqual(self.scalar("job_instance_model:cohort_model_reload_failures:"
                                     f'increase15m{{{sel}, model="{CORRUPT_MODEL}"}}'),
                         t["reload_failures"])
        self.assertEqual(self.scalar(f"job_instance:cohort_model_loaded:count{{{sel}}}"),
                         len(self.models))
        # Fetch errors come from the stopped node only.
        errors = self.query_series(f"sum by (shard) (cohort_scorer_fetch_errors_total{{{sel}}})",
                                   "fetch errors")
        self.assertEqual([s["metric"]["shard"] for s in errors],
                         [self.cluster.node_id(STOPPED_NODE)])
        self.assertGreaterEqual(float(errors[0]["value"][1]), 1)
        shards = self.query_series(f"sum by (shard) (cohort_scorer_fetch_seconds_count{{{sel}}})",
                                   "fetches")
        self.assertEqual(sorted(s["metric"]["shard"] for s in shards),
                         [self.cluster.node_id(i) for i in range(self.cluster.n)])


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


class LongWindowTest(unittest.TestCase):
    """Inlining recording rules and removing offsets (no cluster needed)."""

    RULES = RecordingRules([
        {"type": "recording", "name": "a:mean1h", "query": "sum(rate(x[1h]))"},
        {"type": "recording", "name": "a:mean1d_offset1h", "query": "sum(rate(x[1d] offset 1h))"},
        {"type": "recording", "name": "a:drift", "query": "abs(a:mean1h / a:mean1d_offset1h - 1)"},
        {"type": "recording", "name": "a:new15m", "query": "x unless x offset 15m"},
        {"type": "alerting", "name": "A", "query": "a:drift > 1"},
    ])

    def test_long_offsets_are_found_through_recording_rules(self):
        self.assertTrue(self.RULES.uses_long_offset("a:drift"))
        self.assertTrue(self.RULES.uses_long_offset("rate(y[5m] offset 1d)"))
        self.assertFalse(self.RULES.uses_long_offset("a:mean1h"))
        self.assertFalse(self.RULES.uses_long_offset("a:new15m"))

    def test_inlines_and_removes_offsets(self):
        self.assertEqual(without_offsets(self.RULES.inline("a:drift > 1")),
                         "(abs((sum(rate(x[1h]))) / (sum(rate(x[1d]))) - 1)) > 1")
        with self.assertRaises(ValueError):
            self.RULES.inline('a:drift{job="j"}')


if __name__ == "__main__":
    unittest.main(verbosity=2)
