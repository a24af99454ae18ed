"""The scoring tier from a second language: a real cohort-store and a real cohort-scorer
(over models trained by the scoring_write_models helper), driven through the generated
Python stubs of cohort.v1.Scoring.

Run by CTest with Debian's /usr/bin/python3 (python3-grpcio). Environment: PYTHONPATH holds
the generated stubs (<build>/python); COHORT_STORE_BINARY, COHORT_SCORER_BINARY and
COHORT_WRITE_MODELS_BINARY the executables. Every process started is stopped (SIGTERM,
then SIGKILL) and every temporary directory removed.
"""

import json
import os
import signal
import subprocess
import tempfile
import time
import unittest

import grpc
from google.protobuf import timestamp_pb2

from cohort.v1 import feature_store_pb2 as fs
from cohort.v1 import feature_store_pb2_grpc as fs_grpc
from cohort.v1 import scoring_pb2 as sc
from cohort.v1 import scoring_pb2_grpc as sc_grpc

STARTUP_TIMEOUT_S = 60
RPC_TIMEOUT_S = 30


def timestamp(unix_seconds):
    ts = timestamp_pb2.Timestamp()
    ts.FromSeconds(int(unix_seconds))
    return ts


def env_binary(name):
    path = os.environ.get(name)
    if not path or not os.access(path, os.X_OK):
        raise RuntimeError(f"set {name} to an executable")
    return path


class Process:
    """A server process writing its host:port to a port file once it serves."""

    def __init__(self, name, args, directory):
        self.name = name
        self.port_file = os.path.join(directory, f"{name}.port")
        self.log_path = os.path.join(directory, f"{name}.log")
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(args + [f"--port_file={self.port_file}"], stdout=log,
                                         stderr=log, stdin=subprocess.DEVNULL)
        self.channel = None
        self.address = None

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def wait_serving(self):
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not os.path.exists(self.port_file):
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}:\n{self.log()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.name}: no port file:\n{self.log()}")
            time.sleep(0.02)
        with open(self.port_file) as f:
            self.address = f.read().strip()
        self.channel = grpc.insecure_channel(self.address)
        grpc.channel_ready_future(self.channel).result(timeout=STARTUP_TIMEOUT_S)

    def stop(self):
        """SIGTERM (drain), SIGKILL if it hangs. Returns the exit status."""
        if self.channel is not None:
            self.channel.close()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


class ScoringClientTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="cohort-pyscoring-")
        cls.processes = []
        try:
            cls._start()
        except BaseException:
            cls._stop_all()
            raise

    @classmethod
    def _start(cls):
        d = cls.tmp.name
        store_map = os.path.join(d, "store_map.json")
        with open(store_map, "w") as f:
            json.dump({"epoch": 1, "partitions": 64, "nodes": [
                {"id": "store-0", "address": "127.0.0.1:1",
                 "ranges": [{"begin": 0, "end": 64}]}]}, f)
        store = Process("store", [env_binary("COHORT_STORE_BINARY"),
                                  f"--data_dir={os.path.join(d, 'data')}",
                                  "--listen=127.0.0.1:0", "--metrics_listen=127.0.0.1:0",
                                  "--node_id=store-0", f"--shard_map={store_map}"], d)
        cls.processes.append(store)
        store.wait_serving()
        cls.ingest(fs_grpc.FeatureStoreStub(store.channel))

        models = os.path.join(d, "models")
        os.makedirs(models)
        written = subprocess.run([env_binary("COHORT_WRITE_MODELS_BINARY")],
                                 env=dict(os.environ, COHORT_MODELS_DIR=models),
                                 capture_output=True, text=True, timeout=300)
        if written.returncode != 0:
            raise RuntimeError(f"writing models failed:\n{written.stdout}\n{written.stderr}")

        scorer_map = os.path.join(d, "scorer_map.json")
        with open(scorer_map, "w") as f:
            json.dump({"epoch": 1, "partitions": 64, "nodes": [
                {"id": "store-0", "address": store.address,
                 "ranges": [{"begin": 0, "end": 64}]}]}, f)
        scorer = Process("scorer", [env_binary("COHORT_SCORER_BINARY"),
                                    "--listen=127.0.0.1:0", "--metrics_listen=127.0.0.1:0",
                                    f"--shard_map={scorer_map}", f"--models_dir={models}",
                                    "--fetch_deadline_ms=5000"], d)
        cls.processes.append(scorer)
        scorer.wait_serving()
        cls.stub = sc_grpc.ScoringStub(scorer.channel)

    @classmethod
    def ingest(cls, stub):
        now = int(time.time())
        events = []
        attributes = []
        for i in range(6):
            cid = f"py-{i}"
            for k in range(1 + i % 3):
                events.append(fs.Event(event_id=f"{cid}-p{k}", customer_id=cid,
                                       time=timestamp(now - (i + k + 1) * 86400), type="purchase",
                                       channel="web", item_id=f"item-{(i + k) % 5}",
                                       category="shoes", quantity=1, amount=10.0 * (i + 1)))
            attributes.append(fs.CustomerAttributes(customer_id=cid, attributes=[
                fs.Attribute(name="marketing_consent",
                             value=fs.AttributeValue(bool_value=(i != 1)), source="crm",
                             event_time=timestamp(now - 3600))]))
        reply = stub.Ingest(fs.IngestRequest(events=events), timeout=RPC_TIMEOUT_S)
        assert reply.applied == len(events), reply
        stub.UpsertAttributes(fs.UpsertAttributesRequest(customers=attributes),
                              timeout=RPC_TIMEOUT_S)

    @classmethod
    def _stop_all(cls):
        codes = {p.name: p.stop() for p in reversed(cls.processes)}
        cls.tmp.cleanup()
        return codes

    @classmethod
    def tearDownClass(cls):
        logs = {p.name: p.log() for p in cls.processes}
        codes = cls._stop_all()
        for name, code in codes.items():
            if code != 0:
                raise AssertionError(f"{name} exited with {code} after SIGTERM:\n{logs[name]}")

    def score(self, ids, k=3):
        return self.stub.Score(sc.ScoreRequest(
            customer_ids=ids, segmentation=True,
            propensity_models=["propensity_purchase_30d"],
            recommendations=sc.RecommendationsRequest(k=k),
            context=sc.ScoringContext(channel="web")), timeout=RPC_TIMEOUT_S)

    def test_score_batch(self):
        reply = self.score(["py-0", "py-1", "py-2", "py-unknown"])
        self.assertEqual([c.customer_id for c in reply.customers],
                         ["py-0", "py-1", "py-2", "py-unknown"])
        self.assertEqual(sorted(v.model for v in reply.model_versions),
                         ["propensity_purchase_30d", "recommend", "segmentation"])
        for c in (reply.customers[0], reply.customers[2]):
            self.assertEqual(c.status_code, 0, c.status_message)
            self.assertTrue(c.personalized)
            self.assertIn(c.segment.rfm.recency, range(1, 6))
            self.assertTrue(c.segment.rfm.segment)
            self.assertTrue(c.segment.cluster_description)
            self.assertEqual(len(c.propensities), 1)
            self.assertGreaterEqual(c.propensities[0].probability, 0.0)
            self.assertLessEqual(c.propensities[0].probability, 1.0)
            self.assertEqual({f.name for f in c.propensities[0].top_features},
                             {"purchases_30d", "recency_days"})
            self.assertTrue(0 < len(c.recommendations) <= 3)
            for item in c.recommendations:
                self.assertTrue(item.item_id.startswith("item-"))
                self.assertTrue(item.because)
        no_consent = reply.customers[1]
        self.assertFalse(no_consent.personalized)
        self.assertFalse(no_consent.HasField("segment"))
        self.assertEqual(len(no_consent.propensities), 0)
        self.assertEqual([list(i.because) for i in no_consent.recommendations],
                         [["popular overall: no marketing consent"]] *
                         len(no_consent.recommendations))
        self.assertFalse(reply.customers[3].feature_status.customer_found)

    def test_list_models(self):
        reply = self.stub.ListModels(sc.ListModelsRequest(), timeout=RPC_TIMEOUT_S)
        self.assertEqual([(m.name, m.version, m.kind) for m in reply.models],
                         [("propensity_purchase_30d", 1, "propensity"),
                          ("recommend", 1, "recommend"), ("segmentation", 1, "segmentation")])

    def test_bad_requests(self):
        with self.assertRaises(grpc.RpcError) as caught:
            self.score(["py-0"], k=0)
        self.assertEqual(caught.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("recommendations.k", caught.exception.details())
        with self.assertRaises(grpc.RpcError) as caught:
            self.stub.Score(sc.ScoreRequest(customer_ids=["py-0"], propensity_models=["nope"]),
                            timeout=RPC_TIMEOUT_S)
        self.assertEqual(caught.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("'nope'", caught.exception.details())
        self.assertIn("loaded models", caught.exception.details())


if __name__ == "__main__":
    unittest.main()
