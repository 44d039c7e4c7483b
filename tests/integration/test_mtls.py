#!/usr/bin/env python3
"""mTLS between services with identities issued by strait-control: sidecar "web" calls
sidecar "api" over mTLS (both use their mesh certificates), "api" requires client
certificates from the mesh CA (strict), checks an authorization policy, and tells the local
service who called. Refusals: another CA, an expired certificate, a wrong SPIFFE ID,
plaintext, a policy deny."""

import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import free_port, route, scaled, wait_until, write_file  # noqa: E402

TD = "spiffe://strait.local/ns/shop/sa/"
TOKENS = {"web": "token-for-web", "api": "token-for-api"}


def openssl(*args, cwd):
    r = subprocess.run(["openssl"] + list(args), cwd=cwd, capture_output=True, text=True, timeout=harness.scaled(30))
    assert r.returncode == 0, r.stderr
    return r.stdout


class MtlsTest(harness.StraitTestCase):

    def setUp(self):
        super().setUp()
        tokens = self.path("tokens.yaml")
        write_file(tokens, "tokens:\n" + "".join(
            "- {token: %s, namespace: shop, service_account: %s}\n" % (t, sa) for sa, t in TOKENS.items()))
        backend = self.start_upstream("api-app")
        self.web_port, self.api_port, self.permissive_port = free_port(), free_port(), free_port()
        mesh_tls = lambda sa: {"use_mesh_certificate": True, "match_subject_alt_names": [TD + sa]}
        gen = {
            "listeners": [
                {"name": "web-out", "address": "127.0.0.1", "port": self.web_port,
                 "route_config": "web-out", "services": ["web"]},
                {"name": "api-in", "address": "127.0.0.1", "port": self.api_port,
                 "route_config": "api-in", "services": ["api"],
                 "tls": {"use_mesh_certificate": True, "mtls_mode": "MTLS_STRICT"},
                 "authorization": {"rules": [
                     {"name": "no-admin", "action": "DENY", "path_prefixes": ["/admin"]},
                     {"name": "shop-only", "action": "ALLOW", "principals": [TD[:-3] + "*"]}]}},
                {"name": "api-permissive", "address": "127.0.0.1", "port": self.permissive_port,
                 "route_config": "api-in", "services": ["api"],
                 "tls": {"use_mesh_certificate": True, "mtls_mode": "MTLS_PERMISSIVE"}},
            ],
            "route_configs": [
                {"name": "web-out", "virtual_hosts": [{"name": "all", "domains": ["*"], "routes": [
                    route("/wrong/", "api-wrong-id"), route("/", "api")]}]},
                {"name": "api-in", "virtual_hosts": [{"name": "all", "domains": ["*"], "routes": [
                    route("/", "api-app")]}]},
            ],
            "clusters": [
                {"name": "api", "connect_timeout": "2s", "tls": mesh_tls("api")},
                {"name": "api-wrong-id", "connect_timeout": "2s", "tls": mesh_tls("not-api")},
                {"name": "api-app", "connect_timeout": "1s"}],
            "load_assignments": [
                {"cluster_name": c, "endpoints": [{"address": "127.0.0.1", "port": self.api_port}]}
                for c in ("api", "api-wrong-id")] + [
                {"cluster_name": "api-app", "endpoints": [{"address": "127.0.0.1", "port": backend}]}],
        }
        config_dir = self.make_config_dir()
        self.write_config(config_dir, "mesh.yaml", gen)
        control = self.control_port = self.start_control(config_dir, tls=True, extra_args=["--tokens", tokens])
        self.start_sidecar("api-1", "api", control, tls=True, token=TOKENS["api"])
        self.start_sidecar("web-1", "web", control, tls=True, token=TOKENS["web"])

    def call(self, path, headers=None):
        return harness.http_get(self.web_port, path, headers=headers, timeout=10)

    def direct(self, *curl_args):
        """curl straight at api's mTLS listener (server certificate not checked: -k)."""
        return subprocess.run(["curl", "-sS", "-k", "-o", "/dev/null", "-w", "%{http_code}",
                               "--max-time", str(harness.scaled(10))] + list(curl_args) + ["https://127.0.0.1:%d/x" % self.api_port],
                              capture_output=True, text=True, timeout=harness.scaled(30))

    def make_client_cert(self, name, ca_cert, ca_key, days, spiffe_id):
        d = self.tmp
        write_file(os.path.join(d, name + ".ext"), "subjectAltName=URI:%s\nextendedKeyUsage=clientAuth\n" % spiffe_id)
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", name + ".key",
                "-out", name + ".csr", "-subj", "/CN=" + name, cwd=d)
        openssl("x509", "-req", "-in", name + ".csr", "-CA", ca_cert, "-CAkey", ca_key, "-days", str(days),
                "-extfile", name + ".ext", "-out", name + ".pem", cwd=d)
        return os.path.join(d, name + ".pem"), os.path.join(d, name + ".key")

    def test_mtls_call_carries_the_callers_identity(self):
        status, headers, body = self.call("/hello", headers={"x-strait-peer-identity": TD + "forged"})
        self.assertEqual(status, 200, body)
        lines = body.lower().splitlines()
        ids = [l for l in lines if l.startswith("x-strait-peer-identity:")]
        self.assertEqual(ids, ["x-strait-peer-identity: " + TD + "web"])  # forged one stripped
        self.assertIn("x-forwarded-proto: https", lines)

    def test_a_sidecar_cannot_claim_another_service(self):
        # web's certificate asking for api's generation (and its secrets): refused, and said so.
        admin = self.start_sidecar("impostor-1", "api", self.control_port, tls=True, token=TOKENS["web"],
                                   wait_ready=False)

        def refused():
            st = harness.straitctl_status(self.control_port, ca_file=self.ctl_ca_file)
            return st and st["sidecars"].get("impostor-1", {}).get("refused")
        wait_until(refused, scaled(20), message="the impostor's stream refused in straitctl status")
        reason = refused()
        self.assertIn("node service 'api' is not the client certificate's identity", reason)
        self.assertIn(TD + "web", reason)
        st = harness.straitctl_status(self.control_port, ca_file=self.ctl_ca_file)
        self.assertFalse(st["sidecars"]["impostor-1"]["connected"])
        self.assertEqual(harness.http_get(admin, "/ready")[0], 503)  # never got a generation
        # The real sidecars are connected under their own identities.
        self.assertEqual(st["sidecars"]["web-1"]["identity"], TD + "web")
        self.assertEqual(st["sidecars"]["api-1"]["identity"], TD + "api")

    def test_management_api_needs_the_operator_token(self):
        elsewhere = self.path("elsewhere")  # no ./strait-ca/operator.token to fall back on
        os.makedirs(elsewhere, exist_ok=True)

        def status(*token_args):
            return subprocess.run([harness.binary("control/straitctl"), "--control", "127.0.0.1:%d" % self.control_port,
                                   "--ca-file", self.ca_root] + list(token_args) + ["status"],
                                  capture_output=True, text=True, cwd=elsewhere, timeout=scaled(30))
        r = status()  # any TLS client, but no operator credential
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("operator token", r.stderr)
        wrong = self.path("wrong.token")
        write_file(wrong, "0" * 64 + "\n")
        r = status("--token-file", wrong)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("wrong operator token", r.stderr)
        r = status("--token-file", os.path.join(self.ca_dir, "operator.token"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("web-1 service=web connected=yes", r.stdout)
        self.assertEqual(os.stat(os.path.join(self.ca_dir, "operator.token")).st_mode & 0o777, 0o600)

    def test_policy_deny_is_403(self):
        status, headers, _ = self.call("/admin/users")
        self.assertEqual(status, 403)
        self.assertIn("no-admin", headers.get("x-strait-local-reply", ""))

    def test_wrong_spiffe_id_is_refused(self):
        status, _, body = self.call("/wrong/x")
        self.assertIn(status, (502, 503), body)

    def test_certificate_from_another_ca_is_refused(self):
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", "evil-ca.key", "-out", "evil-ca.pem", "-subj", "/CN=evil", "-days", "1", cwd=self.tmp)
        cert, key = self.make_client_cert("evil", "evil-ca.pem", "evil-ca.key", 1, TD + "web")
        r = self.direct("--cert", cert, "--key", key)
        self.assertNotEqual(r.stdout, "200", r.stderr)

    def test_expired_certificate_is_refused(self):
        root_key = os.path.join(self.ca_dir, "root.key")
        cert, key = self.make_client_cert("old", self.ca_root, root_key, -1, TD + "web")
        r = self.direct("--cert", cert, "--key", key)
        self.assertNotEqual(r.stdout, "200", r.stderr)
        # The same CA, valid dates: accepted (so the refusal above was the expiry).
        cert, key = self.make_client_cert("fresh", self.ca_root, root_key, 1, TD + "web")
        self.assertEqual(self.direct("--cert", cert, "--key", key).stdout, "200")

    def test_permissive_mode_accepts_plaintext_and_mtls(self):
        status, _, body = harness.http_get(self.permissive_port, "/plain")
        self.assertEqual(status, 200, body)
        self.assertNotIn("x-strait-peer-identity", body.lower())
        self.assertIn("x-forwarded-proto: http", body.lower().splitlines())
        cert, key = self.make_client_cert("ok", self.ca_root, os.path.join(self.ca_dir, "root.key"), 1, TD + "web")
        r = subprocess.run(["curl", "-sS", "-k", "--cert", cert, "--key", key, "--max-time", str(harness.scaled(10)),
                            "https://127.0.0.1:%d/tls" % self.permissive_port],
                           capture_output=True, text=True, timeout=harness.scaled(30))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("x-strait-peer-identity: " + TD + "web", r.stdout.lower())

    def test_plaintext_and_no_certificate_are_refused_in_strict_mode(self):
        self.assertNotEqual(self.direct().stdout, "200")
        r = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", str(harness.scaled(5)),
                            "http://127.0.0.1:%d/x" % self.api_port], capture_output=True, text=True, timeout=harness.scaled(30))
        self.assertNotEqual(r.stdout, "200")


if __name__ == "__main__":
    harness.main()
