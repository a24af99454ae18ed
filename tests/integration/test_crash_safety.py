"""Crash safety: kill -9 a store node in the middle of a streaming import, restart it on the
same data directory; cohortctl re-sends what was not acknowledged. Afterwards every event is
counted exactly once: each customer's lifetime totals equal the CSV's."""

import os
import subprocess
import time
import unittest
from collections import Counter, defaultdict

from clustertest import BUILD_DIR, ClusterTestCase, Router, generate, localcluster, pb2
import reference_features as ref

CUSTOMERS = 6000
VICTIM = 1


class CrashSafetyTest(ClusterTestCase):
    @classmethod
    def setUpClass(cls):
        work = cls.make_workdir()
        cls.events, _attrs, _ = generate(work, CUSTOMERS, seed=3)
        cls.cluster = localcluster.LocalCluster(BUILD_DIR, os.path.join(work, "cluster"), nodes=3)
        cls.cluster.start()
        cls.router = Router(cls.cluster)

    @classmethod
    def tearDownClass(cls):
        cls.router.close()
        cls.cluster.stop()
        super().tearDownClass()

    def victim_customers(self):
        customers = ref.load_customers(self.events)
        return {cid: c for cid, c in customers.items() if self.router.node_of(cid) == VICTIM}

    def wait_until_victim_has_data(self, probe_ids, importer, timeout=120):
        """Returns once the victim stores any of probe_ids (the import is under way there)."""
        stub = self.router.stubs[VICTIM]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.assertIsNone(importer.poll(), "import ended before the node could be killed")
            resp = stub.GetFeatures(pb2.GetFeaturesRequest(customer_ids=probe_ids,
                                                           features=["purchases_lifetime"]),
                                    timeout=10)
            if any(v.found for v in resp.vectors):
                return
            time.sleep(0.02)  # polling interval, not a correctness assumption
        self.fail("the import never reached the victim node")

    def test_acked_events_counted_exactly_once_after_kill_9(self):
        victims = self.victim_customers()
        probe = sorted(victims)[:200]
        importer = subprocess.Popen(
            [localcluster.find_binary(BUILD_DIR, "cohortctl"), "import",
             f"--shard_map={self.cluster.shard_map_path}", f"--events={self.events}",
             "--batch=200", "--retry_for=120s"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            self.wait_until_victim_has_data(probe, importer)
            self.assertEqual(self.cluster.kill_node(VICTIM), -9)
            self.assertIsNone(importer.poll(), "import finished before the crash")
            self.cluster.start_node(VICTIM)
            self.router.reconnect(VICTIM)
            out, err = importer.communicate(timeout=300)
        finally:
            if importer.poll() is None:
                importer.kill()
                importer.wait()
        self.assertEqual(importer.returncode, 0, out + err)

        # Every customer of the killed node: lifetime totals per event type equal the CSV's.
        stub = self.router.stubs[VICTIM]
        checked = 0
        for cid, cust in sorted(victims.items()):
            want = defaultdict(lambda: [0, 0.0])
            for e in cust.events:
                want[e[1]][0] += 1
                want[e[1]][1] += e[5]
            resp = stub.GetProfile(pb2.GetProfileRequest(customer_id=cid), timeout=10)
            self.assertTrue(resp.found, cid)
            got = {t.type: (t.count, t.amount) for t in resp.profile.lifetime}
            self.assertEqual(set(got), set(want), cid)
            for typ, (count, amount) in want.items():
                self.assertEqual(got[typ][0], count, f"{cid} {typ} count")
                self.assertAlmostEqual(got[typ][1], amount, places=6, msg=f"{cid} {typ} amount")
            hist = stub.GetHistory(pb2.GetHistoryRequest(customer_id=cid, limit=0), timeout=10)
            ids = [i.event_id for i in hist.interactions]
            self.assertEqual(len(ids), len(set(ids)), f"{cid}: an event appears twice in history")
            checked += 1
        self.assertGreater(checked, CUSTOMERS // 5)


if __name__ == "__main__":
    unittest.main(verbosity=2)
