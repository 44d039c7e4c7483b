#!/usr/bin/env python3
"""Mesh identity and the TLS control-plane channel: a sidecar obtains its certificate with its
bootstrap token, renews it with the certificate, and takes ADS over TLS with it; a wrong
token gets nothing; a restarted control plane keeps its root (same --ca-dir) and accepts the
sidecar's existing certificate."""

import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import free_port, generation, route, wait_until, write_file  # noqa: E402

TOKEN = "web-bootstrap-token-1"
ISSUED = re.compile(r"identity: issued (spiffe://\S+) serial ([0-9a-f]+), expires in (\d+)s")


class CaTest(harness.StraitTestCase):

    def setUp(self):
        super().setUp()
        self.tokens = self.path("tokens.yaml")
        write_file(self.tokens, "tokens:\n- {token: %s, namespace: shop, service_account: web}\n"
                   % TOKEN)
        self.config_dir = self.make_config_dir()
        upstream = self.start_upstream("backend")
        self.write_config(self.config_dir, "mesh.yaml", generation(
            free_port(), {"*": [route("/", "svc")]}, {"svc": [upstream]}))

    def start_tls_control(self, port=0, ttl="24h"):
        return self.start_control(self.config_dir, port=port, tls=True,
                                  extra_args=["--tokens", self.tokens, "--cert-ttl", ttl])

    def issued(self, proc):
        return ISSUED.findall(proc.log())

    def status(self, control_port):
        return harness.straitctl_status(control_port, ca_file=self.ca_root)

    def test_token_then_tls_ads_and_renewal(self):
        control = self.start_tls_control(ttl="4s")
        self.start_sidecar("web-1", "web", control, tls=True, token=TOKEN)
        sidecar = self.procs[-1]
        version = self.status(control)["version"]
        self.wait_acked(control, "web-1", version)
        first = self.issued(sidecar)[0]
        self.assertEqual(first[0], "spiffe://strait.local/ns/shop/sa/web")
        self.assertLessEqual(int(first[2]), 4)
        # Renewed at about half of the 4 s lifetime, by certificate, with a new serial.
        wait_until(lambda: len(self.issued(sidecar)) >= 3, 15, message="two renewals")
        serials = [i[1] for i in self.issued(sidecar)]
        self.assertEqual(len(set(serials)), len(serials))
        self.assertIn("(by certificate)", self.control.log())
        self.assertIn("as spiffe://strait.local/ns/shop/sa/web", self.control.log())
        self.assertNotIn(TOKEN, self.control.log() + sidecar.log())
        self.assertNotIn("PRIVATE KEY", self.control.log() + sidecar.log())
        # Plaintext clients are not served by a TLS control plane.
        self.assertIsNone(harness.straitctl_status(control))

    def test_wrong_token_is_refused(self):
        control = self.start_tls_control()
        self.start_sidecar("web-2", "web", control, tls=True, token="not-a-known-token",
                           wait_ready=False)
        sidecar = self.procs[-1]
        wait_until(lambda: "unknown bootstrap token" in self.control.log(), 10,
                   message="control plane logs the refusal")
        wait_until(lambda: "UNAUTHENTICATED" in sidecar.log() or
                   "unknown bootstrap token" in sidecar.log(), 10,
                   message="sidecar logs the refusal")
        self.assertEqual(self.issued(sidecar), [])
        self.assertNotIn("web-2", self.status(control)["sidecars"])
        self.assertNotIn("not-a-known-token", self.control.log())

    def test_tls_without_identity_fails_start(self):
        control = self.start_tls_control()
        bootstrap = self.path("noid.yaml")
        write_file(bootstrap, "node: {id: n, service: web}\n"
                   "control_plane: {address: \"127.0.0.1:%d\", ca_file: %s}\n"
                   "admin: {port: 0}\n" % (control, self.ca_root))
        proc = self.spawn("sidecar-noid", [harness.binary("sidecar/strait-sidecar"),
                                           "--bootstrap", bootstrap])
        proc.popen.wait(timeout=harness.scaled(10))
        proc.killed = True  # exits 1 on purpose
        self.assertEqual(proc.popen.returncode, 1)
        self.assertIn("identity.token_file", proc.log())

    def test_restart_keeps_root_and_accepts_existing_certificate(self):
        # Restarted on the same port: a reserved one outside the ephemeral range, so nothing
        # can take it while the control plane is down.
        control = self.start_tls_control(port=free_port())
        with open(self.ca_root) as f:
            root_before = f.read()
        self.assertEqual(os.stat(os.path.join(self.ca_dir, "root.key")).st_mode & 0o777, 0o600)
        self.start_sidecar("web-3", "web", control, tls=True, token=TOKEN)
        sidecar = self.procs[-1]
        self.wait_acked(control, "web-3", self.status(control)["version"])
        self.control.stop()

        def restarted():
            try:
                return self.start_tls_control(port=control)
            except AssertionError:
                return None
        wait_until(restarted, 15, interval=0.2, message="control plane restart")
        with open(self.ca_root) as f:
            self.assertEqual(f.read(), root_before)
        self.assertIn("root.pem (loaded)", self.control.log())

        def reconnected():
            st = self.status(control)
            s = st and st["sidecars"].get("web-3")
            return s and s["connected"] and s["acked"] == st["version"]
        wait_until(reconnected, 20, message="web-3 reconnects over TLS with its certificate")
        self.assertEqual(len(self.issued(sidecar)), 1)  # no new certificate was needed


if __name__ == "__main__":
    harness.main()
