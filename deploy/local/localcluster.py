"""A local Cohort cluster on loopback: N cohort-store processes with a generated shard map,
optionally a cohort-scorer in front of them (start_scorer).

Used by deploy/local/cohort-local (the README's demo) and by the multi-process tests.
Run with Debian's /usr/bin/python3 (it has python3-grpcio); the generated Python stubs live
in <build>/python.
"""

import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import time

_PR_SET_PDEATHSIG = 1


def find_binary(build_dir, name):
    """Path of a built executable `name` under build_dir (raises if absent)."""
    for root, _dirs, files in os.walk(build_dir):
        if name in files and os.access(os.path.join(root, name), os.X_OK):
            return os.path.join(root, name)
    raise FileNotFoundError(f"{name} not found under {build_dir}: build the project first")


def import_stubs(build_dir):
    """Makes the generated cohort.v1 Python stubs importable and returns (pb2, pb2_grpc)."""
    path = os.path.join(build_dir, "python")
    if path not in sys.path:
        sys.path.insert(0, path)
    from cohort.v1 import feature_store_pb2, feature_store_pb2_grpc  # noqa: E402
    return feature_store_pb2, feature_store_pb2_grpc


def free_ports(n):
    """n distinct free TCP ports on 127.0.0.1 (bound to port 0, then released)."""
    socks, ports = [], []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
            ports.append(s.getsockname()[1])
    finally:
        for s in socks:
            s.close()
    return ports


def uniform_shard_map(epoch, partitions, nodes):
    """Shard map JSON object: contiguous, nearly equal ranges over nodes [(id, address)]."""
    out, n = [], len(nodes)
    for i, (node_id, address) in enumerate(nodes):
        begin, end = partitions * i // n, partitions * (i + 1) // n
        out.append({"id": node_id, "address": address, "ranges": [{"begin": begin, "end": end}]})
    return {"epoch": epoch, "partitions": partitions, "nodes": out}


def _die_with_parent():
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


class LocalCluster:
    """N store nodes on 127.0.0.1 with their data under `workdir`.

    With `attached=True` (tests) every node dies with this Python process, whatever happens;
    with `attached=False` (the launcher) nodes run in their own session and outlive it.
    """

    def __init__(self, build_dir, workdir, nodes=3, partitions=1024, store_flags=(),
                 attached=True):
        self.build_dir = os.path.abspath(build_dir)
        self.workdir = os.path.abspath(workdir)
        self.n = nodes
        self.partitions = partitions
        self.store_flags = list(store_flags)
        self.attached = attached
        self.store_bin = find_binary(self.build_dir, "cohort-store")
        self.shard_map_path = os.path.join(self.workdir, "shard_map.json")
        self.procs = [None] * nodes
        self.addresses = []
        self.scorer_proc = None
        self.scorer_address = None

    def node_id(self, i):
        return f"store-{i}"

    def data_dir(self, i):
        return os.path.join(self.workdir, self.node_id(i), "data")

    def log_path(self, i):
        return os.path.join(self.workdir, self.node_id(i), "store.log")

    def start(self, timeout=60):
        os.makedirs(self.workdir, exist_ok=True)
        ports = free_ports(self.n)
        self.addresses = [f"127.0.0.1:{p}" for p in ports]
        shard_map = uniform_shard_map(
            1, self.partitions, [(self.node_id(i), a) for i, a in enumerate(self.addresses)])
        tmp = self.shard_map_path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(shard_map, f, indent=2)
        os.replace(tmp, self.shard_map_path)
        for i in range(self.n):
            self.start_node(i, wait=False)
        for i in range(self.n):
            self.wait_ready(i, timeout)
        return self

    def port_file(self, i):
        return os.path.join(self.workdir, self.node_id(i), "port")

    def metrics_port_file(self, i):
        return os.path.join(self.workdir, self.node_id(i), "metrics_port")

    def metrics_address(self, i):
        """host:port of node i's Prometheus metrics (GET /metrics), once it is ready."""
        with open(self.metrics_port_file(i)) as f:
            return f.read().strip()

    def start_node(self, i, wait=True, timeout=60):
        """(Re)starts node i on its address with its data directory, metrics on a free port."""
        os.makedirs(self.data_dir(i), exist_ok=True)
        for path in (self.port_file(i), self.metrics_port_file(i)):
            if os.path.exists(path):
                os.remove(path)
        args = [self.store_bin, f"--data_dir={self.data_dir(i)}", f"--listen={self.addresses[i]}",
                f"--node_id={self.node_id(i)}", f"--shard_map={self.shard_map_path}",
                f"--port_file={self.port_file(i)}", "--metrics_listen=127.0.0.1:0",
                f"--metrics_port_file={self.metrics_port_file(i)}"] + self.store_flags
        log = open(self.log_path(i), "ab")
        kwargs = {"preexec_fn": _die_with_parent} if self.attached else {"start_new_session": True}
        self.procs[i] = subprocess.Popen(args, stdout=log, stderr=log, stdin=subprocess.DEVNULL,
                                         **kwargs)
        log.close()
        with open(os.path.join(self.workdir, self.node_id(i), "pid"), "w") as f:
            f.write(str(self.procs[i].pid))
        if wait:
            self.wait_ready(i, timeout)

    def wait_ready(self, i, timeout=60):
        """Waits until node i has written its port file (it does so once serving, after its
        metrics port file)."""
        deadline = time.monotonic() + timeout
        while not os.path.exists(self.port_file(i)):
            if self.procs[i].poll() is not None:
                raise RuntimeError(f"{self.node_id(i)} exited with {self.procs[i].returncode}; "
                                   f"log:\n{self.tail_log(i)}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.node_id(i)} not serving after {timeout}s; "
                                   f"log:\n{self.tail_log(i)}")
            time.sleep(0.05)

    def tail_log(self, i, lines=20):
        try:
            with open(self.log_path(i), errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return "(no log)"

    def kill_node(self, i, sig=signal.SIGKILL):
        p = self.procs[i]
        if p is not None and p.poll() is None:
            p.send_signal(sig)
            p.wait(timeout=60)
        return p.returncode if p is not None else None

    # --- the optional scorer: <workdir>/scorer/{pid,port,metrics_port,scorer.log} ---

    def scorer_dir(self):
        return os.path.join(self.workdir, "scorer")

    def scorer_log_path(self):
        return os.path.join(self.scorer_dir(), "scorer.log")

    def scorer_port_file(self):
        return os.path.join(self.scorer_dir(), "port")

    def scorer_metrics_port_file(self):
        return os.path.join(self.scorer_dir(), "metrics_port")

    def start_scorer(self, models_dir, scorer_flags=(), timeout=60):
        """Starts a cohort-scorer on a free port (metrics on a free port too) reading this
        cluster's shard map and `models_dir`; returns its host:port once it serves. The store
        nodes must be started first. Stopped by stop()."""
        scorer_bin = find_binary(self.build_dir, "cohort-scorer")
        os.makedirs(self.scorer_dir(), exist_ok=True)
        for path in (self.scorer_port_file(), self.scorer_metrics_port_file()):
            if os.path.exists(path):
                os.remove(path)
        args = [scorer_bin, f"--shard_map={self.shard_map_path}",
                f"--models_dir={os.path.abspath(models_dir)}", "--listen=127.0.0.1:0",
                f"--port_file={self.scorer_port_file()}", "--metrics_listen=127.0.0.1:0",
                f"--metrics_port_file={self.scorer_metrics_port_file()}"] + list(scorer_flags)
        log = open(self.scorer_log_path(), "ab")
        kwargs = {"preexec_fn": _die_with_parent} if self.attached else {"start_new_session": True}
        self.scorer_proc = subprocess.Popen(args, stdout=log, stderr=log,
                                            stdin=subprocess.DEVNULL, **kwargs)
        log.close()
        with open(os.path.join(self.scorer_dir(), "pid"), "w") as f:
            f.write(str(self.scorer_proc.pid))
        deadline = time.monotonic() + timeout
        while not os.path.exists(self.scorer_port_file()):
            if self.scorer_proc.poll() is not None:
                raise RuntimeError(f"cohort-scorer exited with {self.scorer_proc.returncode}; "
                                   f"log:\n{self._tail(self.scorer_log_path())}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"cohort-scorer not serving after {timeout}s; "
                                   f"log:\n{self._tail(self.scorer_log_path())}")
            time.sleep(0.05)
        with open(self.scorer_port_file()) as f:
            self.scorer_address = f.read().strip()
        return self.scorer_address

    @staticmethod
    def _tail(path, lines=20):
        try:
            with open(path, errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self):
        """SIGTERM the scorer and every node (they drain and close RocksDB), SIGKILL after
        30 s. Returns the nodes' exit codes."""
        if self.scorer_proc is not None and self.scorer_proc.poll() is None:
            self.scorer_proc.send_signal(signal.SIGTERM)
            try:
                self.scorer_proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.scorer_proc.kill()
                self.scorer_proc.wait()
        for p in self.procs:
            if p is not None and p.poll() is None:
                p.send_signal(signal.SIGTERM)
        codes = []
        for p in self.procs:
            if p is None:
                continue
            try:
                codes.append(p.wait(timeout=30))
            except subprocess.TimeoutExpired:
                p.kill()
                codes.append(p.wait())
        return codes

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False


# --- XXH64, written independently of the C++ one, so tests can route by themselves. ---
_P1, _P2, _P3, _P4, _P5 = (0x9E3779B185EBCA87, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9,
                           0x85EBCA77C2B2AE63, 0x27D4EB2F165667C5)
_M = (1 << 64) - 1


def _rotl(x, r):
    return ((x << r) | (x >> (64 - r))) & _M


def _round(acc, lane):
    return (_rotl((acc + lane * _P2) & _M, 31) * _P1) & _M


def xxh64(data: bytes, seed=0):
    n, i = len(data), 0
    if n >= 32:
        v = [(seed + _P1 + _P2) & _M, (seed + _P2) & _M, seed, (seed - _P1) & _M]
        while i + 32 <= n:
            for k in range(4):
                v[k] = _round(v[k], int.from_bytes(data[i + 8 * k:i + 8 * k + 8], "little"))
            i += 32
        h = (_rotl(v[0], 1) + _rotl(v[1], 7) + _rotl(v[2], 12) + _rotl(v[3], 18)) & _M
        for k in range(4):
            h = (((h ^ _round(0, v[k])) * _P1) + _P4) & _M
    else:
        h = (seed + _P5) & _M
    h = (h + n) & _M
    while i + 8 <= n:
        h ^= _round(0, int.from_bytes(data[i:i + 8], "little"))
        h = (_rotl(h, 27) * _P1 + _P4) & _M
        i += 8
    if i + 4 <= n:
        h ^= (int.from_bytes(data[i:i + 4], "little") * _P1) & _M
        h = (_rotl(h, 23) * _P2 + _P3) & _M
        i += 4
    while i < n:
        h ^= (data[i] * _P5) & _M
        h = (_rotl(h, 11) * _P1) & _M
        i += 1
    h ^= h >> 33
    h = (h * _P2) & _M
    h ^= h >> 29
    h = (h * _P3) & _M
    h ^= h >> 32
    return h


def partition_of(customer_id, partitions):
    return xxh64(customer_id.encode()) % partitions
