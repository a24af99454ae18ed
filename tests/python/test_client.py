"""A second-language client: drives a real cohort-store over gRPC from Python.

Run by CTest with Debian's /usr/bin/python3 (python3-grpcio); PYTHONPATH must hold the
generated stubs (<build>/python) and COHORT_STORE_BINARY the cohort-store executable.
Starts one node on 127.0.0.1:0 with a one-node shard map and a temporary data directory,
and always stops it (SIGTERM, then SIGKILL).
"""

import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest

import grpc
from google.protobuf import timestamp_pb2

from cohort.v1 import feature_store_pb2 as pb
from cohort.v1 import feature_store_pb2_grpc as pb_grpc

STARTUP_TIMEOUT_S = 60
RPC_TIMEOUT_S = 30
SERVING = 1  # grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING


def timestamp(unix_seconds):
    ts = timestamp_pb2.Timestamp()
    ts.FromSeconds(int(unix_seconds))
    return ts


def health_status(channel, service=""):
    """grpc.health.v1.Health/Check without the grpc_health package: the two messages are
    tiny, so they are encoded by hand (field 1 = service name; field 1 = status)."""
    name = service.encode()
    check = channel.unary_unary("/grpc.health.v1.Health/Check",
                                request_serializer=None, response_deserializer=None)
    reply = check(b"\x0a" + bytes([len(name)]) + name, timeout=RPC_TIMEOUT_S)
    if not reply:
        return 0  # UNKNOWN: the default value is not serialized
    if len(reply) != 2 or reply[0] != 0x08:
        raise AssertionError(f"unexpected HealthCheckResponse bytes {reply!r}")
    return reply[1]


class StoreNode:
    """One cohort-store process on a free port, with its own temporary directory."""

    def __init__(self, binary):
        self.tmp = tempfile.TemporaryDirectory(prefix="cohort-pyclient-")
        self.dir = self.tmp.name
        self.port_file = os.path.join(self.dir, "port")
        self.log_path = os.path.join(self.dir, "store.log")
        shard_map = {"epoch": 1, "partitions": 64, "nodes": [
            {"id": "store-0", "address": "127.0.0.1:7100",
             "ranges": [{"begin": 0, "end": 64}]}]}
        map_path = os.path.join(self.dir, "shard_map.json")
        with open(map_path, "w") as f:
            json.dump(shard_map, f)
        args = [binary, f"--data_dir={os.path.join(self.dir, 'data')}",
                "--listen=127.0.0.1:0", f"--port_file={self.port_file}",
                "--metrics_listen=127.0.0.1:0",
                "--node_id=store-0", f"--shard_map={map_path}"]
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(args, stdout=log, stderr=log,
                                         stdin=subprocess.DEVNULL)
        self.address = None
        self.channel = None

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def wait_serving(self):
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not os.path.exists(self.port_file):
            if self.proc.poll() is not None:
                raise RuntimeError(f"cohort-store exited with {self.proc.returncode}:\n"
                                   f"{self.log()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"no port file after {STARTUP_TIMEOUT_S}s:\n{self.log()}")
            time.sleep(0.02)
        with open(self.port_file) as f:
            self.address = f.read().strip()
        self.channel = grpc.insecure_channel(self.address)
        grpc.channel_ready_future(self.channel).result(timeout=STARTUP_TIMEOUT_S)
        while health_status(self.channel) != SERVING:
            if time.monotonic() > deadline:
                raise TimeoutError(f"health not SERVING after {STARTUP_TIMEOUT_S}s")
            time.sleep(0.02)

    def stop(self):
        """SIGTERM (the node drains and closes its store), SIGKILL if it hangs. Returns
        (exit status, the node's log)."""
        try:
            if self.channel is not None:
                self.channel.close()
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
            return self.proc.returncode, self.log()
        finally:
            self.tmp.cleanup()


class FeatureStoreClientTest(unittest.TestCase):
    node = None

    @classmethod
    def setUpClass(cls):
        binary = os.environ.get("COHORT_STORE_BINARY")
        if not binary or not os.access(binary, os.X_OK):
            raise RuntimeError("set COHORT_STORE_BINARY to the cohort-store executable")
        cls.node = StoreNode(binary)
        try:
            cls.node.wait_serving()
        except BaseException:
            cls.node.stop()
            raise
        cls.stub = pb_grpc.FeatureStoreStub(cls.node.channel)
        cls.now = int(time.time())

    @classmethod
    def tearDownClass(cls):
        code, log = cls.node.stop()
        if code != 0:
            raise AssertionError(f"cohort-store exited with {code} after SIGTERM:\n{log}")

    def event(self, event_id, customer_id, days_ago, type_, amount=0.0):
        return pb.Event(event_id=event_id, customer_id=customer_id,
                        time=timestamp(self.now - days_ago * 86400 - 60), type=type_,
                        channel="web", item_id="sku-1", category="shoes",
                        quantity=1 if amount else 0, amount=amount)

    def features(self, ids, names=()):
        return self.stub.GetFeatures(
            pb.GetFeaturesRequest(customer_ids=list(ids), features=list(names)),
            timeout=RPC_TIMEOUT_S)

    def test_ingest_then_read_features(self):
        events = [
            self.event("py-1", "py-alice", 1, "purchase", 10.0),
            self.event("py-2", "py-alice", 3, "purchase", 15.5),
            self.event("py-3", "py-alice", 2, "view"),
            self.event("py-4", "py-alice", 45, "purchase", 99.0),  # outside the 30 days
        ]
        reply = self.stub.Ingest(pb.IngestRequest(events=events, sequence=7),
                                 timeout=RPC_TIMEOUT_S)
        self.assertEqual(reply.sequence, 7)
        self.assertEqual(reply.applied, 4, [r.reason for r in reply.results])
        self.assertEqual([r.outcome for r in reply.results],
                         [pb.EventResult.OUTCOME_APPLIED] * 4)

        got = self.features(["py-alice"], ["purchases_30d", "spend_30d"])
        self.assertEqual(list(got.feature_names), ["purchases_30d", "spend_30d"])
        vector = got.vectors[0]
        self.assertEqual(vector.customer_id, "py-alice")
        self.assertTrue(vector.found)
        purchases, spend = vector.values
        self.assertEqual(purchases.WhichOneof("kind"), "int_value")
        self.assertEqual(purchases.int_value, 2)
        self.assertEqual(spend.WhichOneof("kind"), "double_value")
        self.assertAlmostEqual(spend.double_value, 25.5)
        self.assertEqual(purchases.status, pb.FEATURE_STATUS_PRESENT)

        # A retry of the same events changes nothing.
        reply = self.stub.Ingest(pb.IngestRequest(events=events[:1]), timeout=RPC_TIMEOUT_S)
        self.assertEqual(reply.results[0].outcome, pb.EventResult.OUTCOME_DUPLICATE)
        self.assertEqual(self.features(["py-alice"], ["purchases_30d"]).vectors[0]
                         .values[0].int_value, 2)

    def test_unknown_customer_is_not_found(self):
        vector = self.features(["py-nobody"], ["purchases_30d"]).vectors[0]
        self.assertFalse(vector.found)
        self.assertEqual(vector.values[0].status, pb.FEATURE_STATUS_NOT_FOUND)

    def test_invalid_requests_are_invalid_argument(self):
        with self.assertRaises(grpc.RpcError) as caught:
            self.features(["py-alice", ""])
        self.assertEqual(caught.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("customer_ids[1]", caught.exception.details())

        with self.assertRaises(grpc.RpcError) as caught:
            self.features(["py-alice"], ["no_such_feature"])
        self.assertEqual(caught.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("no_such_feature", caught.exception.details())

        too_many = [self.event(f"big-{i}", "py-big", 1, "view") for i in range(10001)]
        with self.assertRaises(grpc.RpcError) as caught:
            self.stub.Ingest(pb.IngestRequest(events=too_many), timeout=RPC_TIMEOUT_S)
        self.assertEqual(caught.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertFalse(self.features(["py-big"]).vectors[0].found)

    def test_bad_event_is_rejected_alone(self):
        reply = self.stub.Ingest(pb.IngestRequest(events=[
            self.event("py-ok", "py-bob", 1, "purchase", 5.0),
            self.event("py-nan", "py-carol", 1, "purchase", math.nan),
        ]), timeout=RPC_TIMEOUT_S)
        self.assertEqual(reply.results[0].outcome, pb.EventResult.OUTCOME_APPLIED)
        self.assertEqual(reply.results[1].outcome, pb.EventResult.OUTCOME_REJECTED)
        self.assertIn("amount", reply.results[1].reason)
        self.assertTrue(self.features(["py-bob"]).vectors[0].found)
        self.assertFalse(self.features(["py-carol"]).vectors[0].found)

    def test_health_and_reflection(self):
        self.assertEqual(health_status(self.node.channel, "cohort.v1.FeatureStore"), SERVING)
        # ServerReflectionRequest{list_services: ""} (field 7), encoded by hand.
        info = self.node.channel.stream_stream(
            "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
            request_serializer=None, response_deserializer=None)
        replies = list(info(iter([b"\x3a\x00"]), timeout=RPC_TIMEOUT_S))
        self.assertEqual(len(replies), 1)
        self.assertIn(b"cohort.v1.FeatureStore", replies[0])

    def test_node_info_and_feature_list(self):
        info = self.stub.NodeInfo(pb.NodeInfoRequest(), timeout=RPC_TIMEOUT_S)
        self.assertEqual(info.node_id, "store-0")
        self.assertEqual(info.partitions_total, 64)
        self.assertEqual([(r.begin, r.end) for r in info.owned], [(0, 64)])
        self.assertEqual(info.shard_map_epoch, 1)
        names = [f.name for f in self.stub.ListFeatures(pb.ListFeaturesRequest(),
                                                        timeout=RPC_TIMEOUT_S).features]
        self.assertIn("purchases_30d", names)
        self.assertIn("spend_30d", names)


if __name__ == "__main__":
    unittest.main(verbosity=2)
