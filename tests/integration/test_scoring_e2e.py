"""The scoring tier end to end: a 3-node cluster, generated customers imported through
cohortctl, cohort-train in cluster mode (features through Export as of the cutoff) and a
real cohort-scorer over the trained model folder. Shows, in order:

  a) a scored batch: segment, both propensities with explanations, top-k recommendations
     with explanations, the served versions equal the manifests on disk;
  b) a new version dropped in (temp name + rename) while threads call Score: it is picked
     up and no call failed;
  c) a corrupt version (flipped byte, checksum mismatch) is refused with its reason and the
     previous version keeps serving;
  d) one store node SIGKILLed: its customers (computed here with XXH64 and the shard map)
     carry a per-customer error status, everyone else is scored.
"""

import csv
import json
import os
import shutil
import subprocess
import threading
import time
import unittest

from clustertest import BUILD_DIR, ClusterTestCase, Router, cohortctl, generate, localcluster, pb2
import reference_features as ref

import grpc  # noqa: E402
from cohort.v1 import scoring_pb2, scoring_pb2_grpc  # noqa: E402

CUSTOMERS = 2500
PROPENSITY = ["propensity_purchase_30d", "propensity_churn_90d"]
MODELS = ["propensity_churn_90d", "propensity_purchase_30d", "recommend", "segmentation"]
OK, DEADLINE_EXCEEDED, UNAVAILABLE = 0, 4, 14
K = 5


def poll(what, fn, timeout=60.0, interval=0.1):
    """Calls fn until it returns a truthy value; fails with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


def read_manifest(models_dir, model, version):
    with open(os.path.join(models_dir, model, str(version), "manifest.json")) as f:
        return json.load(f)


def latest_version(models_dir, model):
    return max(int(v) for v in os.listdir(os.path.join(models_dir, model)) if v.isdigit())


def drop_version(models_dir, model, source, target, corrupt_file=None):
    """Copies version `source` of `model` to version `target` the way docs/model-artifacts.md
    asks: written under a temporary name, then renamed into place. The manifest's version is
    rewritten; with corrupt_file, one byte of that file is flipped (its checksum no longer
    matches the manifest)."""
    root = os.path.join(models_dir, model)
    tmp = os.path.join(root, f".tmp-e2e-{target}")
    shutil.copytree(os.path.join(root, str(source)), tmp)
    path = os.path.join(tmp, "manifest.json")
    with open(path) as f:
        manifest = json.load(f)
    manifest["version"] = str(target) if isinstance(manifest.get("version"), str) else target
    with open(path, "w") as f:
        json.dump(manifest, f, indent=2)
    if corrupt_file is not None:
        with open(os.path.join(tmp, corrupt_file), "r+b") as f:
            data = bytearray(f.read())
            data[len(data) // 2] ^= 0xFF
            f.seek(0)
            f.write(data)
    os.rename(tmp, os.path.join(root, str(target)))


def versions_of(response):
    return {v.model: v.version for v in response.model_versions}


class ScoringEndToEndTest(ClusterTestCase):
    @classmethod
    def setUpClass(cls):
        cls.t0 = time.monotonic()
        cls.timings = {}
        work = cls.make_workdir()
        cls.work = work
        cls.cluster = None
        cls.channel = None
        try:
            cls._start(work)
        except BaseException:
            cls._stop()
            super().tearDownClass()
            raise

    @classmethod
    def _start(cls, work):
        cls.events, cls.attributes, cls.end_unix = generate(work, CUSTOMERS, seed=5)
        cls.cluster = localcluster.LocalCluster(BUILD_DIR, os.path.join(work, "cluster"), nodes=3)
        cls.cluster.start()
        cls.timings["cluster+datagen"] = time.monotonic() - cls.t0
        out = cohortctl("import", f"--shard_map={cls.cluster.shard_map_path}",
                        f"--events={cls.events}", f"--attributes={cls.attributes}")
        assert " 0 rejected" in out.stdout, out.stdout + out.stderr
        cls.timings["import"] = time.monotonic() - cls.t0
        cls.models_dir = os.path.join(work, "models")
        train = subprocess.run(
            [localcluster.find_binary(BUILD_DIR, "cohort-train"), f"--events_csv={cls.events}",
             f"--shard_map={cls.cluster.shard_map_path}",
             f"--registry={os.path.join(BUILD_DIR, 'features.registry')}",
             f"--models_dir={cls.models_dir}", f"--report_dir={os.path.join(work, 'report')}",
             "--progress=false"], capture_output=True, text=True)
        assert train.returncode == 0, train.stdout + train.stderr
        with open(os.path.join(work, "report", "report.json")) as f:
            cls.report = json.load(f)
        # Cluster mode: the features came through Export from the nodes, as of the cutoff.
        assert cls.report["data"]["features_from"] == cls.cluster.shard_map_path, cls.report
        assert cls.report["data"]["customers_at_cutoff"] > CUSTOMERS // 2, cls.report["data"]
        cls.timings["train"] = time.monotonic() - cls.t0
        cls.cluster.start_scorer(cls.models_dir, ["--reload_interval_s=1",
                                                  "--fetch_deadline_ms=2000"])
        cls.channel = grpc.insecure_channel(cls.cluster.scorer_address)
        cls.scoring = scoring_pb2_grpc.ScoringStub(cls.channel)
        poll("the scorer to load every model",
             lambda: sorted(m.name for m in cls.scoring.ListModels(
                 scoring_pb2.ListModelsRequest(), timeout=5).models) == MODELS)
        cls.timings["scorer"] = time.monotonic() - cls.t0
        cls.consent, cls.bought = cls._read_csvs()
        # The first 60 customers (by id) with events and marketing consent.
        cls.batch = [c for c in sorted(cls.bought) if cls.consent.get(c)][:60]

    @classmethod
    def _read_csvs(cls):
        consent, latest = {}, {}
        with open(cls.attributes, newline="") as f:
            for r in csv.DictReader(f):
                if r["name"] == "marketing_consent":
                    ts = ref.parse_time(r["ts"])
                    if ts >= latest.get(r["customer_id"], -1):
                        latest[r["customer_id"]] = ts
                        consent[r["customer_id"]] = r["value"] == "true"
        bought = {}
        with open(cls.events, newline="") as f:
            for r in csv.DictReader(f):
                items = bought.setdefault(r["customer_id"], set())
                if r["type"] == "purchase" and r["item_id"]:
                    items.add(r["item_id"])
        return consent, bought

    @classmethod
    def _stop(cls):
        if cls.channel is not None:
            cls.channel.close()
        if cls.cluster is not None:
            cls.cluster.stop()

    @classmethod
    def tearDownClass(cls):
        cls._stop()
        cls.timings["total"] = time.monotonic() - cls.t0
        print("\ntimings (s since start): " +
              ", ".join(f"{k}={v:.1f}" for k, v in cls.timings.items()), flush=True)
        super().tearDownClass()

    def score(self, ids, timeout=10, **kwargs):
        req = scoring_pb2.ScoreRequest(customer_ids=ids, segmentation=True,
                                       propensity_models=PROPENSITY, top_features=3, **kwargs)
        req.recommendations.k = K
        return self.scoring.Score(req, timeout=timeout)

    def served_versions(self):
        return {m.name: m.version for m in self.scoring.ListModels(
            scoring_pb2.ListModelsRequest(), timeout=5).models}

    # a) ----------------------------------------------------------------------------------
    def test_a_batch_is_scored_by_every_model_family(self):
        self.assertGreaterEqual(len(self.batch), 40)
        exclude = sorted(self.bought[self.batch[0]] or {"sku-00001"})[:1] + ["sku-00002"]
        req = scoring_pb2.ScoreRequest(customer_ids=self.batch, segmentation=True,
                                       propensity_models=PROPENSITY, top_features=3)
        req.recommendations.k = K
        req.recommendations.exclude_items.extend(exclude)
        resp = self.scoring.Score(req, timeout=10)
        # The served history (capped per customer) is what the scorer excludes bought items
        # from; read it from the store directly.
        router = Router(self.cluster)
        served_bought = {}
        try:
            for cid in self.batch:
                h = router.stub_for(cid).GetHistory(pb2.GetHistoryRequest(customer_id=cid),
                                                    timeout=10)
                served_bought[cid] = {i.item_id for i in h.interactions if i.type == "purchase"}
                self.assertTrue(served_bought[cid] <= self.bought[cid], cid)
        finally:
            router.close()
        self.assertTrue(any(served_bought.values()))
        on_disk = {m: latest_version(self.models_dir, m) for m in MODELS}
        self.assertEqual(versions_of(resp), on_disk)
        for m in MODELS:
            self.assertEqual(int(read_manifest(self.models_dir, m, on_disk[m])["version"]),
                             on_disk[m])
        k_clusters = int(read_manifest(self.models_dir, "segmentation",
                                       on_disk["segmentation"])["params"]["k"])
        self.assertEqual([c.customer_id for c in resp.customers], self.batch)
        sources = set()
        for c in resp.customers:
            where = f"{c.customer_id}: {c}"
            self.assertEqual(c.status_code, OK, where)
            self.assertTrue(c.personalized, where)
            self.assertTrue(c.feature_status.customer_found, where)
            self.assertGreater(c.feature_status.present, 0, where)
            self.assertEqual(c.feature_status.not_found, 0, where)
            # Segment: RFM scores and a described behavioural cluster.
            for score in (c.segment.rfm.recency, c.segment.rfm.frequency, c.segment.rfm.monetary):
                self.assertIn(score, range(1, 6), where)
            self.assertTrue(c.segment.rfm.segment, where)
            self.assertIn(c.segment.cluster_id, range(k_clusters), where)
            self.assertTrue(c.segment.cluster_description, where)
            self.assertGreaterEqual(c.segment.cluster_distance, 0.0, where)
            # Both propensities, calibrated probabilities with explanations.
            self.assertEqual([p.model for p in c.propensities], PROPENSITY, where)
            for p in c.propensities:
                self.assertGreater(p.probability, 0.0, where)
                self.assertLess(p.probability, 1.0, where)
                self.assertTrue(1 <= len(p.top_features) <= 3, where)
                self.assertTrue(all(f.name for f in p.top_features), where)
            # k recommendations, none excluded or already bought, each explained.
            items = [r.item_id for r in c.recommendations]
            self.assertEqual(len(items), K, where)
            self.assertEqual(len(set(items)), K, where)
            self.assertFalse(set(items) & set(exclude), where)
            self.assertFalse(set(items) & served_bought[c.customer_id], where)
            self.assertTrue(all(r.because for r in c.recommendations), where)
            sources.add(c.recommendation_source)
        self.assertIn("personalized", sources)
        # Both propensity models discriminate: probabilities are not all the same.
        for i in range(len(PROPENSITY)):
            self.assertGreater(len({round(c.propensities[i].probability, 6)
                                    for c in resp.customers}), 5)

    # b) ----------------------------------------------------------------------------------
    def test_b_new_version_is_picked_up_under_load(self):
        ids = self.batch[:20]
        old = self.served_versions()["segmentation"]
        new = latest_version(self.models_dir, "segmentation") + 1
        stop = threading.Event()
        lock = threading.Lock()
        stats = {"calls": 0, "failed": 0, "customer_errors": 0, "errors": [], "seen": set()}

        def loop():
            while not stop.is_set():
                try:
                    resp = self.score(ids)
                    bad = sum(1 for c in resp.customers if c.status_code != OK)
                    with lock:
                        stats["calls"] += 1
                        stats["customer_errors"] += bad
                        stats["seen"].add(versions_of(resp)["segmentation"])
                except grpc.RpcError as e:
                    with lock:
                        stats["calls"] += 1
                        stats["failed"] += 1
                        stats["errors"].append(f"{e.code()}: {e.details()}")

        threads = [threading.Thread(target=loop) for _ in range(3)]
        for t in threads:
            t.start()
        try:
            poll("calls before the drop", lambda: stats["calls"] >= 20, timeout=30)
            drop_version(self.models_dir, "segmentation", old, new)
            poll("the scorer to serve the new version",
                 lambda: self.served_versions()["segmentation"] == new, timeout=30)
            poll("a loop response with the new version", lambda: new in stats["seen"],
                 timeout=30)
            calls_at_swap = stats["calls"]
            poll("calls after the swap", lambda: stats["calls"] >= calls_at_swap + 20, timeout=30)
        finally:
            stop.set()
            for t in threads:
                t.join()
        print(f"\nload loop: {stats['calls']} Score calls ({len(ids)} customers each), "
              f"{stats['failed']} failed, versions seen {sorted(stats['seen'])}", flush=True)
        self.assertEqual(stats["failed"], 0, stats["errors"][:5])
        self.assertEqual(stats["customer_errors"], 0)
        self.assertEqual(stats["seen"], {old, new})
        self.assertEqual(versions_of(self.score(ids[:1]))["segmentation"], new)

    # c) ----------------------------------------------------------------------------------
    def test_c_corrupt_version_is_refused_and_old_keeps_serving(self):
        served = self.served_versions()["segmentation"]
        bad = latest_version(self.models_dir, "segmentation") + 1
        drop_version(self.models_dir, "segmentation", served, bad, corrupt_file="clusters.bin")
        # The poller may try it first; either way ReloadModels and the log tell why.
        log = self.cluster.scorer_log_path()
        reload = self.scoring.ReloadModels(scoring_pb2.ReloadModelsRequest(), timeout=10)
        refused = [o for o in reload.outcomes if o.model == "segmentation" and o.version == bad]
        if refused:
            self.assertFalse(refused[0].loaded)
            self.assertIn("clusters.bin", refused[0].error)
        def refusal_logged():
            with open(log, errors="replace") as f:
                return [line for line in f
                        if f"refused model segmentation version {bad}:" in line]

        lines = poll("the refusal in the scorer log", refusal_logged, timeout=30)
        self.assertIn("clusters.bin", lines[0])
        print(f"\ncorrupt version refused: {lines[0].strip()}", flush=True)
        self.assertEqual(self.served_versions()["segmentation"], served)
        self.assertEqual({m.name: m.version for m in reload.models}["segmentation"], served)
        resp = self.score(self.batch[:10])
        self.assertEqual(versions_of(resp)["segmentation"], served)
        self.assertTrue(all(c.status_code == OK for c in resp.customers))

    # d) ----------------------------------------------------------------------------------
    def test_d_killed_shard_fails_only_its_customers(self):
        with open(self.cluster.shard_map_path) as f:
            shard_map = json.load(f)

        def node_of(cid):
            p = localcluster.partition_of(cid, shard_map["partitions"])
            owners = [i for i, n in enumerate(shard_map["nodes"])
                      if any(r["begin"] <= p < r["end"] for r in n["ranges"])]
            self.assertEqual(len(owners), 1, cid)
            return owners[0]

        ids = self.batch[:60]
        victim = 1
        affected = {c for c in ids if node_of(c) == victim}
        self.assertTrue(affected and len(affected) < len(ids))
        self.cluster.kill_node(victim)
        resp = self.score(ids, timeout=20)
        self.assertEqual([c.customer_id for c in resp.customers], ids)
        for c in resp.customers:
            if c.customer_id in affected:
                self.assertIn(c.status_code, (UNAVAILABLE, DEADLINE_EXCEEDED), str(c))
                self.assertTrue(c.status_message, str(c))
                self.assertFalse(c.recommendations, str(c))
            else:
                self.assertEqual(c.status_code, OK, str(c))
                self.assertEqual(len(c.propensities), len(PROPENSITY), str(c))
                self.assertEqual(len(c.recommendations), K, str(c))
        print(f"\nshard down: {len(affected)} of {len(ids)} customers on "
              f"{self.cluster.node_id(victim)} carry an error status", flush=True)


if __name__ == "__main__":
    unittest.main(verbosity=2)
