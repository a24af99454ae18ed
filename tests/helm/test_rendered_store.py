"""The real cohort-store on the configuration the Helm chart renders.

Run by CTest (label helm) with /usr/bin/python3; needs COHORT_STORE_BINARY and
COHORTCTL_BINARY (skipped without them) and test_chart's helpers (skipped, like it, when the
npm registry is unreachable). Renders a one-node release, writes the registry and shard map
of its ConfigMaps to a temporary directory, and starts cohort-store with the StatefulSet's
exact flags: only the listen addresses (127.0.0.1:0) and the paths are rewritten, and
$(POD_NAME) is expanded as the kubelet would. Then runs the helm test pod's command
(`cohortctl status ...`) against it. The node is always stopped (SIGTERM, then SIGKILL) and
the directory removed.

RenderedConfigRunsTheRealScorer does the same for cohort-scorer (COHORT_SCORER_BINARY, by
default cohort-scorer in COHORT_BUILD_DIR) with the Deployment's exact flags, the rendered
registry and shard map and an empty models folder: it must start serving (with no model
loaded), serve metrics, and exit 0 on SIGTERM.
"""

import copy
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest
import urllib.request

import test_chart
from test_chart import RELEASE, container, one, render, run, shard_map_of

STARTUP_TIMEOUT_S = 60


def setUpModule():
    test_chart.setUpModule()


class RenderedConfigRunsTheRealStore(unittest.TestCase):
    def setUp(self):
        self.store_binary = os.environ.get("COHORT_STORE_BINARY", "")
        self.cohortctl = os.environ.get("COHORTCTL_BINARY", "")
        if not (os.access(self.store_binary, os.X_OK) and os.access(self.cohortctl, os.X_OK)):
            self.skipTest("COHORT_STORE_BINARY / COHORTCTL_BINARY not set")
        self.tmp = tempfile.mkdtemp(prefix="cohort-helm-node-")
        self.process = None
        self.metrics_address = None

    def tearDown(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_store_accepts_rendered_configuration(self):
        self.start_rendered_store(["store.replicas=1", "metrics.enabled=false"])
        self.assertIsNone(self.metrics_address)

    def test_store_accepts_rendered_configuration_with_metrics(self):
        self.start_rendered_store(["store.replicas=1", "store.shardMap.epoch=7"])
        with urllib.request.urlopen(f"http://{self.metrics_address}/metrics", timeout=30) as r:
            text = r.read().decode()
        self.assertIn("cohort_store_shard_map_epoch 7", text)

    def start_rendered_store(self, sets):
        objects = render(self, sets=sets)
        sts = one(self, objects, "StatefulSet")
        store = container(sts["spec"]["template"]["spec"], "store")
        pod_name = f"{sts['metadata']['name']}-0"

        # The files the pod would see, with the map's address moved to loopback (same epoch).
        shard_map = shard_map_of(self, objects)
        registry = one(self, objects, "ConfigMap", f"{RELEASE}-cohort-registry")
        paths = {
            "/etc/cohort/shard-map/shard_map.json": os.path.join(self.tmp, "shard_map.json"),
            "/etc/cohort/registry/features.registry": os.path.join(self.tmp, "features.registry"),
            "/var/lib/cohort/data": os.path.join(self.tmp, "data"),
        }
        with open(paths["/etc/cohort/registry/features.registry"], "w") as f:
            f.write(registry["data"]["features.registry"])

        port_file = os.path.join(self.tmp, "port")
        metrics_port_file = os.path.join(self.tmp, "metrics_port")
        args = [f"--port_file={port_file}"]
        metrics_on = False
        for arg in store["args"]:
            arg = arg.replace("$(POD_NAME)", pod_name)  # as the kubelet expands it
            name, _, value = arg.partition("=")
            if name == "--listen" or (name == "--metrics_listen" and value):
                value = "127.0.0.1:0"
                metrics_on = metrics_on or name == "--metrics_listen"
            value = paths.get(value, value)
            args.append(f"{name}={value}")
        if metrics_on:
            args.append(f"--metrics_port_file={metrics_port_file}")

        local_map = copy.deepcopy(shard_map)
        local_map["nodes"][0]["address"] = "127.0.0.1:1"  # rewritten once the port is known
        self.write_map(local_map, paths)
        log_path = os.path.join(self.tmp, "store.log")
        with open(log_path, "w") as log:
            self.process = subprocess.Popen([self.store_binary, *args], stdout=log,
                                            stderr=subprocess.STDOUT)
        address = self.wait_for_file(port_file, log_path)
        self.metrics_address = (self.wait_for_file(metrics_port_file, log_path)
                                if metrics_on else None)

        # cohortctl reads the map with the real address; the node keeps its own copy.
        client_map_path = os.path.join(self.tmp, "client_shard_map.json")
        local_map["nodes"][0]["address"] = address
        with open(client_map_path, "w") as f:
            json.dump(local_map, f)
        test_pod = one(self, objects, "Pod")
        ctl_args = [a if not a.startswith("--shard_map=") else f"--shard_map={client_map_path}"
                    for a in test_pod["spec"]["containers"][0]["args"]]
        result = run([self.cohortctl, *ctl_args])
        self.assertEqual(result.returncode, 0,
                         f"cohortctl {' '.join(ctl_args)}:\n{result.stdout}{result.stderr}")
        self.assertIn(pod_name, result.stdout)
        self.assertIn("ok", result.stdout)

    def write_map(self, shard_map, paths):
        with open(paths["/etc/cohort/shard-map/shard_map.json"], "w") as f:
            json.dump(shard_map, f)

    def wait_for_file(self, port_file, log_path):
        """The stripped content of a port file the node writes once serving."""
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                with open(log_path) as f:
                    self.fail(f"{os.path.basename(self.process.args[0])} exited with "
                              f"{self.process.returncode} on the "
                              f"chart's flags:\n{f.read()}")
            if os.path.exists(port_file):
                with open(port_file) as f:
                    text = f.read().strip()
                if text:
                    return text
            time.sleep(0.05)
        self.fail(f"{os.path.basename(self.process.args[0])} did not write {port_file} "
                  f"within {STARTUP_TIMEOUT_S}s")


class RenderedConfigRunsTheRealScorer(unittest.TestCase):
    def setUp(self):
        build = os.environ.get("COHORT_BUILD_DIR", "")
        self.scorer_binary = os.environ.get(
            "COHORT_SCORER_BINARY", os.path.join(build, "cohort-scorer") if build else "")
        if not os.access(self.scorer_binary, os.X_OK):
            self.skipTest("COHORT_SCORER_BINARY (or cohort-scorer in COHORT_BUILD_DIR) not built")
        self.tmp = tempfile.mkdtemp(prefix="cohort-helm-scorer-")
        self.process = None

    def tearDown(self):
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_scorer_accepts_rendered_configuration(self):
        objects = render(self, sets=["store.replicas=1"])
        deployment = one(self, objects, "Deployment")
        scorer = container(deployment["spec"]["template"]["spec"], "scorer")
        registry = one(self, objects, "ConfigMap", f"{RELEASE}-cohort-registry")
        paths = {
            "/etc/cohort/shard-map/shard_map.json": os.path.join(self.tmp, "shard_map.json"),
            "/etc/cohort/registry/features.registry": os.path.join(self.tmp, "features.registry"),
            "/var/lib/cohort/models": os.path.join(self.tmp, "models"),
        }
        os.mkdir(paths["/var/lib/cohort/models"])  # an emptyDir: no model yet
        with open(paths["/etc/cohort/registry/features.registry"], "w") as f:
            f.write(registry["data"]["features.registry"])
        with open(paths["/etc/cohort/shard-map/shard_map.json"], "w") as f:
            json.dump(shard_map_of(self, objects), f)  # store addresses need not resolve

        port_file = os.path.join(self.tmp, "port")
        metrics_port_file = os.path.join(self.tmp, "metrics_port")
        args = [f"--port_file={port_file}", f"--metrics_port_file={metrics_port_file}"]
        for arg in scorer["args"]:
            name, _, value = arg.partition("=")
            if name in ("--listen", "--metrics_listen"):
                self.assertTrue(value, f"{name} is empty with metrics on")
                value = "127.0.0.1:0"
            self.assertNotIn("$(", value, "the scorer's flags use no environment variables")
            args.append(f"{name}={paths.get(value, value)}")
        self.assertTrue(any(a.startswith("--registry=") for a in args))

        log_path = os.path.join(self.tmp, "scorer.log")
        with open(log_path, "w") as log:
            self.process = subprocess.Popen([self.scorer_binary, *args], stdout=log,
                                            stderr=subprocess.STDOUT)
        wait = RenderedConfigRunsTheRealStore.wait_for_file
        wait(self, port_file, log_path)
        metrics_address = wait(self, metrics_port_file, log_path)
        with urllib.request.urlopen(f"http://{metrics_address}/metrics", timeout=30) as r:
            self.assertEqual(r.status, 200)
            self.assertIn("cohort_", r.read().decode())

        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=30)
        with open(log_path) as f:
            self.assertEqual(code, 0, f.read())


if __name__ == "__main__":
    unittest.main(verbosity=2)
