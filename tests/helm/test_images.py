"""Static checks of the container images (deploy/docker/*.Dockerfile) against the repository,
the build tree and the Helm chart. No Docker engine is needed (none runs in CI).

Run by CTest (label helm) with /usr/bin/python3. Uses test_chart's helpers to render the
chart (and so is skipped, like it, when the npm registry is unreachable).

What is checked: every COPY source exists in the build context; both stages start from
Debian bookworm; the build stage installs dependencies with scripts/install-deps.sh and
builds with cmake; the paths the Dockerfiles copy out of the build tree are where CMake puts
the binaries (COHORT_BUILD_DIR, COHORT_STORE_BINARY, COHORTCTL_BINARY, and cohort-scorer in
COHORT_BUILD_DIR unless COHORT_SCORER_BINARY says otherwise); both images carry the
features.registry their server looks for next to itself; runtime-packages.sh
maps the built binaries to installed, non -dev Debian packages; the runtime stage runs as
the uid:gid, exposes the ports, and holds the entrypoints the chart expects.
"""

import os
import re
import shlex
import subprocess
import unittest

import test_chart
from test_chart import ROOT, one, render

DOCKER = os.path.join(ROOT, "deploy", "docker")


def setUpModule():
    test_chart.setUpModule()


class Dockerfile:
    """The instructions of a Dockerfile: (keyword, text) with continuations joined."""

    def __init__(self, name):
        self.path = os.path.join(DOCKER, name)
        with open(self.path) as f:
            self.text = f.read()
        joined = re.sub(r"\\\n", " ", self.text)
        self.instructions = []
        for line in joined.splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            keyword, _, rest = line.partition(" ")
            self.instructions.append((keyword.upper(), rest.strip()))
        self.args = {}
        for keyword, rest in self.instructions:
            if keyword == "ARG" and "=" in rest:
                name, _, value = rest.partition("=")
                self.args.setdefault(name, value)

    def all(self, keyword):
        return [rest for k, rest in self.instructions if k == keyword]

    def last(self, keyword):
        return self.all(keyword)[-1]

    def expand(self, text):
        return re.sub(r"\$\{(\w+)\}", lambda m: self.args.get(m.group(1), m.group(0)), text)


class Images(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.store = Dockerfile("store.Dockerfile")
        cls.scorer = Dockerfile("scorer.Dockerfile")
        cls.objects = None

    def rendered(self):
        if Images.objects is None:
            Images.objects = render(self)
        return Images.objects

    def test_build_context_and_base_images(self):
        for image in (self.store, self.scorer):
            with self.subTest(image=image.path):
                froms = [image.expand(f).split()[0] for f in image.all("FROM")]
                self.assertEqual(len(froms), 2, "a build and a runtime stage")
                for base in froms:
                    self.assertRegex(base, r"^debian:bookworm(-slim)?$")
                for rest in image.all("COPY"):
                    words = shlex.split(rest)
                    if any(w.startswith("--from") for w in words):
                        continue
                    for src in words[:-1]:
                        self.assertTrue(os.path.exists(os.path.join(ROOT, src)),
                                        f"COPY source {src} is not in the repository")
                run = " ".join(image.all("RUN"))
                self.assertIn("scripts/install-deps.sh", run)
                self.assertIn("cmake --build", run)
                self.assertIn("deploy/docker/runtime-packages.sh", run)
        with open(os.path.join(ROOT, ".dockerignore")) as f:
            ignored = f.read().split()
        self.assertIn(".git", ignored)
        self.assertIn("build", ignored)

    def test_build_tree_paths(self):
        build = os.environ.get("COHORT_BUILD_DIR", "")
        store_binary = os.environ.get("COHORT_STORE_BINARY", "")
        cohortctl = os.environ.get("COHORTCTL_BINARY", "")
        if not (build and os.access(store_binary, os.X_OK) and os.access(cohortctl, os.X_OK)):
            self.skipTest("COHORT_BUILD_DIR / COHORT_STORE_BINARY / COHORTCTL_BINARY not set")
        run = " ".join(self.store.all("RUN"))
        for built in (store_binary, cohortctl, os.path.join(build, "features.registry")):
            rel = os.path.relpath(built, build)
            self.assertTrue(os.path.exists(built), built)
            self.assertIn(f"/build/{rel}", run, f"store.Dockerfile does not copy {rel}")

        result = subprocess.run(
            [os.path.join(DOCKER, "runtime-packages.sh"), store_binary, cohortctl],
            capture_output=True, text=True, timeout=120)
        self.assertEqual(result.returncode, 0, result.stderr)
        packages = result.stdout.split()
        self.assertIn("libc6", packages)
        self.assertTrue(any(p.startswith("libgrpc++") for p in packages), packages)
        # RocksDB is linked statically (COHORT_STATIC_ROCKSDB) but its compression libraries
        # are shared: the image must install them.
        self.assertIn("liblz4-1", packages)
        self.assertIn("libzstd1", packages)
        for p in packages:
            self.assertFalse(p.endswith("-dev"), p)
            status = subprocess.run(["dpkg-query", "-W", "-f=${Status}", p],
                                    capture_output=True, text=True)
            self.assertIn("install ok installed", status.stdout, p)

    def test_runtime_matches_the_chart(self):
        objects = self.rendered()
        sts_spec = one(self, objects, "StatefulSet")["spec"]["template"]["spec"]
        deployment_spec = one(self, objects, "Deployment")["spec"]["template"]["spec"]
        security = sts_spec["securityContext"]
        user = f"{security['runAsUser']}:{security['runAsGroup']}"
        for image, spec, binary in ((self.store, sts_spec, "cohort-store"),
                                    (self.scorer, deployment_spec, "cohort-scorer")):
            with self.subTest(image=image.path):
                self.assertEqual(image.last("USER"), user)
                self.assertIn(f"--uid {security['runAsUser']}", " ".join(image.all("RUN")))
                ports = {int(p) for rest in image.all("EXPOSE") for p in rest.split()}
                chart_ports = {p["containerPort"] for c in spec["containers"]
                               for p in c["ports"]}
                self.assertEqual(ports, chart_ports)
                self.assertEqual(image.last("ENTRYPOINT"), f'["/opt/cohort/bin/{binary}"]')
                self.assertIn("COPY --from=build /out/bin/ /opt/cohort/bin/", image.text)
        # The helm test runs cohortctl from the store image.
        test_pod = one(self, objects, "Pod")
        self.assertEqual(test_pod["spec"]["containers"][0]["command"],
                         ["/opt/cohort/bin/cohortctl"])
        self.assertIn("/build/tools/cohortctl/cohortctl /out/bin/",
                      " ".join(self.store.all("RUN")))

    def test_scorer_image_holds_binary_and_registry(self):
        run = " ".join(self.scorer.all("RUN"))
        self.assertNotIn("does NOT exist", self.scorer.text)
        self.assertIn("--target cohort-scorer cohortctl", run)
        self.assertIn("/build/cohort-scorer /build/tools/cohortctl/cohortctl /out/bin/", run)
        # cohort-scorer's default --registry is features.registry next to the executable.
        self.assertIn("/build/features.registry /out/bin/features.registry", run)
        self.assertIn("runtime-packages.sh /out/bin/cohort-scorer /out/bin/cohortctl", run)

        build = os.environ.get("COHORT_BUILD_DIR", "")
        scorer = os.environ.get("COHORT_SCORER_BINARY",
                                os.path.join(build, "cohort-scorer") if build else "")
        if not (build and os.access(scorer, os.X_OK)):
            self.skipTest("COHORT_BUILD_DIR (with cohort-scorer built) not set")
        self.assertEqual(os.path.relpath(scorer, build), "cohort-scorer")
        self.assertTrue(os.path.exists(os.path.join(build, "features.registry")))
        result = subprocess.run([os.path.join(DOCKER, "runtime-packages.sh"), scorer],
                                capture_output=True, text=True, timeout=120)
        self.assertEqual(result.returncode, 0, result.stderr)
        for p in result.stdout.split():
            self.assertFalse(p.endswith("-dev"), p)

if __name__ == "__main__":
    unittest.main(verbosity=2)
