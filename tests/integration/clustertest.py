"""Shared set-up for the multi-process tests: paths, data generation, stubs, routing."""

import datetime as dt
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(SOURCE_DIR, "deploy", "local"))
sys.path.insert(0, HERE)

import localcluster  # noqa: E402

BUILD_DIR = os.environ.get("COHORT_BUILD_DIR", os.path.join(SOURCE_DIR, "build"))
pb2, pb2_grpc = localcluster.import_stubs(BUILD_DIR)

import grpc  # noqa: E402


def end_of_data():
    """Today's UTC midnight: the default end of generated data, and the tests' as_of."""
    today = dt.datetime.now(dt.timezone.utc).date()
    return today, int(dt.datetime(today.year, today.month, today.day,
                                  tzinfo=dt.timezone.utc).timestamp())


def generate(workdir, customers, seed):
    """Runs cohort-datagen; returns (events_csv, attributes_csv, end_unix)."""
    end_date, end_unix = end_of_data()
    events = os.path.join(workdir, "events.csv")
    attributes = os.path.join(workdir, "attributes.csv")
    subprocess.run([localcluster.find_binary(BUILD_DIR, "cohort-datagen"),
                    f"--customers={customers}", f"--seed={seed}", f"--end={end_date.isoformat()}",
                    f"--events_out={events}", f"--attributes_out={attributes}"],
                   check=True, stdout=subprocess.DEVNULL)
    return events, attributes, end_unix


def cohortctl(*args, check=True, **kwargs):
    return subprocess.run([localcluster.find_binary(BUILD_DIR, "cohortctl"), *args],
                          check=check, capture_output=True, text=True, **kwargs)


class Router:
    """A minimal Python router (independent of the C++ ShardRouter): XXH64 mod P."""

    def __init__(self, cluster):
        self.cluster = cluster
        self.channels = [grpc.insecure_channel(a) for a in cluster.addresses]
        self.stubs = [pb2_grpc.FeatureStoreStub(c) for c in self.channels]

    def node_of(self, customer_id):
        p = localcluster.partition_of(customer_id, self.cluster.partitions)
        return self._owner(p)

    def _owner(self, p):
        n, P = self.cluster.n, self.cluster.partitions
        for i in range(n):
            if P * i // n <= p < P * (i + 1) // n:
                return i
        raise AssertionError(p)

    def reconnect(self, i):
        """A fresh channel to node i (after a restart the old connection is dead)."""
        self.channels[i].close()
        self.channels[i] = grpc.insecure_channel(self.cluster.addresses[i])
        self.stubs[i] = pb2_grpc.FeatureStoreStub(self.channels[i])

    def stub_for(self, customer_id):
        return self.stubs[self.node_of(customer_id)]

    def close(self):
        for c in self.channels:
            c.close()


class ClusterTestCase(unittest.TestCase):
    """Gives each test class a temp dir; subclasses start what they need in setUpClass."""

    @classmethod
    def make_workdir(cls):
        cls._tmp = tempfile.TemporaryDirectory(prefix="cohort-it-")
        return cls._tmp.name

    @classmethod
    def tearDownClass(cls):
        if getattr(cls, "_tmp", None):
            cls._tmp.cleanup()
