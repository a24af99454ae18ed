"""`cohortctl score` against a real cohort-scorer: the store, models and scorer of
test_scoring.py (same setup), the command run as a subprocess, its readable and JSON output
and its errors checked.

Run by CTest with Debian's /usr/bin/python3. Environment: as test_scoring.py, plus
COHORTCTL_BINARY, the cohortctl executable.
"""

import json
import subprocess
import unittest

import test_scoring

_BASE = test_scoring.ScoringClientTest


class CohortctlScoreTest(unittest.TestCase):
    # The store + models + scorer fixture of test_scoring.py, bound to this class.
    setUpClass = classmethod(_BASE.setUpClass.__func__)
    tearDownClass = classmethod(_BASE.tearDownClass.__func__)
    _start = classmethod(_BASE._start.__func__)
    _stop_all = classmethod(_BASE._stop_all.__func__)
    ingest = classmethod(_BASE.ingest.__func__)

    def ctl(self, *args, scorer=None):
        address = scorer or self.processes[-1].address
        return subprocess.run([test_scoring.env_binary("COHORTCTL_BINARY"), "score",
                               f"--scorer={address}", *args],
                              capture_output=True, text=True, timeout=120)

    def test_readable_blocks(self):
        out = self.ctl("--ids=py-0,py-1,py-unknown", "--k=3")
        self.assertEqual(out.returncode, 0, out.stderr)
        text = out.stdout
        self.assertIn("models: propensity_purchase_30d v", text)
        blocks = {b.split("\n", 1)[0]: b for b in text.split("\n\n")[1:]}
        self.assertEqual(sorted(blocks), ["py-0", "py-1", "py-unknown"])
        consenting = blocks["py-0"]
        self.assertIn("personalized: yes", consenting)
        self.assertIn("segment: RFM ", consenting)
        self.assertIn("cluster ", consenting)
        self.assertRegex(consenting, r"propensity_purchase_30d: [01]\.\d{3} \(v\d+\)")
        self.assertRegex(consenting, r"(recency_days|purchases_30d)=\S+ \u2192 [+-]\d+\.\d\d")
        self.assertIn("recommendations (personalized):", consenting)
        self.assertRegex(consenting, r"item-\d+ .* because \S+")
        no_consent = blocks["py-1"]
        self.assertIn("personalized: no (marketing_consent is false", no_consent)
        self.assertNotIn("segment:", no_consent)
        self.assertIn("because popular overall: no marketing consent", no_consent)
        self.assertIn("customer unknown to the store", blocks["py-unknown"])

    def test_model_selection_and_json(self):
        out = self.ctl("--ids=py-0,py-2", "--models=segmentation", "--format=json")
        self.assertEqual(out.returncode, 0, out.stderr)
        reply = json.loads(out.stdout)
        self.assertEqual([c["customer_id"] for c in reply["customers"]], ["py-0", "py-2"])
        self.assertEqual([m["model"] for m in reply["model_versions"]], ["segmentation"])
        for c in reply["customers"]:
            self.assertTrue(c["personalized"])
            self.assertTrue(c["segment"]["rfm"]["segment"])
            self.assertNotIn("propensities", c)
            self.assertNotIn("recommendations", c)

    def test_errors_are_one_line_with_nonzero_exit(self):
        cases = [
            (("--ids=py-0", "--models=nope"), None, "'nope' is not loaded by the scorer"),
            (("--ids=py-0", "--format=csv"), None, "--format must be table or json"),
            ((), None, "score needs --ids"),
            (("--ids=py-0", "--deadline=1s"), "127.0.0.1:1", "UNAVAILABLE"),
            (("--ids=" + "x" * 200,), None, "INVALID_ARGUMENT"),
        ]
        for args, scorer, message in cases:
            with self.subTest(args=args):
                out = self.ctl(*args, scorer=scorer)
                self.assertNotEqual(out.returncode, 0)
                self.assertEqual(out.stdout, "")
                self.assertEqual(len(out.stderr.strip().splitlines()), 1, out.stderr)
                self.assertIn(message, out.stderr)


if __name__ == "__main__":
    unittest.main(defaultTest="CohortctlScoreTest")
