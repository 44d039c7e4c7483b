#!/usr/bin/env python3
"""deploy/local/mesh-demo.sh keeps working: it builds nothing here (STRAIT_SKIP_BUILD, the
binaries of this build), runs its walkthrough in pods of its own (network namespaces named
after its PID) and must show what it promises: api's two pods both answering web's curl,
the verified caller identity, a gRPC call, a caller outside the mesh refused, and after
api-1's drain only api-2 answering. Then its pods must be gone."""

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class MeshDemoTest(harness.StraitTestCase):

    def test_the_walkthrough(self):
        env = dict(os.environ, STRAIT_SKIP_BUILD="1", STRAIT_BUILD_DIR=harness.BUILD_DIR)
        r = subprocess.run([os.path.join(REPO, "deploy/local/mesh-demo.sh")], env=env, capture_output=True,
                           text=True, timeout=harness.scaled(120))
        out = r.stdout
        self.assertEqual(r.returncode, 0, out + r.stderr[-3000:])
        before, _, after = out.partition("api-1's sidecar gets SIGTERM")
        self.assertIn("x-upstream-name: api-1", before)
        self.assertIn("x-upstream-name: api-2", before)
        self.assertIn("x-strait-peer-identity: spiffe://strait.local/ns/demo/sa/web", before)
        self.assertIn("status=OK", before)
        self.assertIn("Empty reply from server", before)  # outside the mesh: refused
        self.assertIn("the control plane withdrew this workload's endpoint", after)
        answers = [line for line in after.splitlines() if line.startswith("x-upstream-name")]
        self.assertEqual(answers, ["x-upstream-name: api-2"] * 4)
        pid_prefix = "smd"
        leftovers = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
        self.assertFalse([line for line in leftovers.splitlines() if line.startswith(pid_prefix)], leftovers)


if __name__ == "__main__":
    harness.main()
