"""Three cohort-store processes on loopback; ~10k generated customers imported through
cohortctl; every served feature of a sample of customers must equal the value computed
independently here from the CSV (tests/integration/reference_features.py)."""

import math
import os
import random
import re
import unittest

from clustertest import (BUILD_DIR, ClusterTestCase, Router, cohortctl, generate, localcluster,
                         pb2)
import reference_features as ref

CUSTOMERS = 10000
STATUS = {1: "PRESENT", 2: "NOT_FOUND", 3: "DEFAULTED", 4: "STALE"}


def value_of(fv):
    return getattr(fv, fv.WhichOneof("kind")) if fv.WhichOneof("kind") else None


class ClusterFeaturesTest(ClusterTestCase):
    @classmethod
    def setUpClass(cls):
        work = cls.make_workdir()
        cls.events, cls.attributes, cls.as_of = generate(work, CUSTOMERS, seed=7)
        cls.cluster = localcluster.LocalCluster(BUILD_DIR, os.path.join(work, "cluster"), nodes=3)
        cls.cluster.start()
        cls.router = Router(cls.cluster)
        cls.import_out = cohortctl("import", f"--shard_map={cls.cluster.shard_map_path}",
                                   f"--events={cls.events}", f"--attributes={cls.attributes}")

    @classmethod
    def tearDownClass(cls):
        cls.router.close()
        cls.cluster.stop()
        super().tearDownClass()

    def count_events(self):
        with open(self.events) as f:
            return sum(1 for _ in f) - 1

    def test_import_applies_every_event_and_rerun_is_idempotent(self):
        total = self.count_events()
        m = re.search(r"imported (\d+) events: (\d+) applied, (\d+) duplicate, (\d+) rejected",
                      self.import_out.stdout)
        self.assertIsNotNone(m, self.import_out.stdout + self.import_out.stderr)
        self.assertEqual([int(x) for x in m.groups()], [total, total, 0, 0])
        self.assertIn("hint: reads merge the imported writes until a compaction",
                      self.import_out.stdout)
        # --compact: once delivered, every node is compacted and the table says so.
        again = cohortctl("import", f"--shard_map={self.cluster.shard_map_path}",
                          f"--events={self.events}", "--compact")
        m = re.search(r"imported (\d+) events: (\d+) applied, (\d+) duplicate, (\d+) rejected",
                      again.stdout)
        self.assertEqual([int(x) for x in m.groups()], [total, 0, total, 0])
        self.assertIn("compacting every node", again.stdout)
        for node in range(self.cluster.n):
            self.assertRegex(again.stdout, rf"store-{node}\s+\d+\.\d s\s+.*\sok")
        self.assertNotIn("hint:", again.stdout)

    def test_every_served_feature_matches_the_csv(self):
        self.check_served_features()

    def test_cohortctl_compact_keeps_every_served_feature(self):
        out = cohortctl("compact", f"--shard_map={self.cluster.shard_map_path}")
        for node in range(self.cluster.n):
            self.assertRegex(out.stdout, rf"store-{node}\s+\d+\.\d s\s+.*\sok")
        self.check_served_features()

    def check_served_features(self):
        registry = ref.load_registry(os.path.join(BUILD_DIR, "features.registry"))
        rng = random.Random(11)
        sample = sorted(rng.sample([f"cust-{i:08d}" for i in range(CUSTOMERS)], 150))
        sample += ["cust-unknown-1", "cust-unknown-2"]
        customers = ref.load_customers(self.events, self.attributes, only=set(sample))
        by_node = {}
        for cid in sample:
            by_node.setdefault(self.router.node_of(cid), []).append(cid)
        checked = 0
        for node, ids in by_node.items():
            req = pb2.GetFeaturesRequest(customer_ids=ids)
            req.as_of.seconds = self.as_of
            resp = self.router.stubs[node].GetFeatures(req, timeout=10)
            self.assertEqual([f.name for f in registry], list(resp.feature_names))
            self.assertEqual(len(resp.vectors), len(ids))
            for cid, vec in zip(ids, resp.vectors):
                self.assertEqual(vec.customer_id, cid)
                found, expected = ref.compute(registry, customers.get(cid), self.as_of)
                self.assertEqual(vec.found, found, cid)
                for f, fv in zip(registry, vec.values):
                    want_value, want_status = expected[f.name]
                    got = value_of(fv)
                    where = f"{cid} {f.name}: served {got!r} ({STATUS.get(fv.status)}), " \
                            f"expected {want_value!r} ({want_status})"
                    self.assertEqual(STATUS.get(fv.status), want_status, where)
                    if isinstance(want_value, float):
                        self.assertTrue(math.isclose(got, want_value, rel_tol=1e-9, abs_tol=1e-9),
                                        where)
                    else:
                        self.assertEqual(got, want_value, where)
                    checked += 1
        self.assertGreater(checked, 150 * 40)

    def test_wrong_node_is_refused_with_the_epoch(self):
        cid = "cust-00000001"
        wrong = (self.router.node_of(cid) + 1) % self.cluster.n
        with self.assertRaises(Exception) as ctx:
            self.router.stubs[wrong].GetFeatures(pb2.GetFeaturesRequest(customer_ids=[cid]),
                                                 timeout=10)
        self.assertEqual(ctx.exception.code().name, "FAILED_PRECONDITION")
        self.assertIn("epoch 1", ctx.exception.details())

    def test_cohortctl_reads_through_the_router(self):
        out = cohortctl("features", f"--shard_map={self.cluster.shard_map_path}",
                        "--ids=cust-00000001,cust-00000002", "--features=purchases_365d",
                        "--format=csv")
        self.assertIn("cust-00000001", out.stdout)
        self.assertIn("cust-00000002", out.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
