#!/usr/bin/env python3
"""TLS in the data plane: termination (curl --cacert), SNI picks the certificate, ALPN,
minimum version, TLS origination to another sidecar's TLS listener with SAN matching, and
generations with bad certificate material NACKed (naming the secret) while the old
certificate keeps serving. Certificates are made with the `openssl` CLI at test time."""

import http.client
import os
import socket
import ssl
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import free_port, generation, route, wait_until  # noqa: E402

EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]


class Pki:
    """A throw-away CA in `d` issuing leaf certificates with chosen SANs."""

    def __init__(self, d):
        self.d = d
        self.ca = self.run_ca()

    def openssl(self, *args):
        r = subprocess.run(["openssl"] + list(args), cwd=self.d, capture_output=True, text=True,
                           timeout=harness.scaled(30))
        if r.returncode != 0:
            raise AssertionError("openssl %s: %s" % (" ".join(args), r.stderr))

    def read(self, name):
        with open(os.path.join(self.d, name)) as f:
            return f.read()

    def run_ca(self):
        self.openssl("req", "-x509", *EC, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
                     "-subj", "/CN=strait-test-ca")
        return self.read("ca.pem")

    def leaf(self, name, sans, days=2):
        """Returns (certificate PEM, key PEM) of a leaf for `sans` ("DNS:x", "URI:y")."""
        with open(os.path.join(self.d, name + ".ext"), "w") as f:
            f.write("subjectAltName=%s\n" % ",".join(sans))
        self.openssl("req", *EC, "-keyout", name + ".key", "-out", name + ".csr",
                     "-subj", "/CN=" + name)
        self.openssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                     "-CAcreateserial", "-out", name + ".pem", "-days", str(days),
                     "-extfile", name + ".ext")
        return self.read(name + ".pem"), self.read(name + ".key")


def secret(name, cert=None, key=None, ca=None):
    s = {"name": name}
    if cert:
        s["certificate_chain"] = cert
    if key:
        s["private_key"] = key
    if ca:
        s["trusted_ca"] = ca
    return s


def tls_handshake(port, server_name, cafile, max_version=None, alpn=("http/1.1",)):
    """(peer certificate CN, ALPN) of a TLS handshake; raises ssl.SSLError on failure."""
    ctx = ssl.create_default_context(cafile=cafile)
    if max_version is not None:
        ctx.maximum_version = max_version
    ctx.set_alpn_protocols(list(alpn))
    with socket.create_connection(("127.0.0.1", port), timeout=harness.scaled(5)) as raw:
        with ctx.wrap_socket(raw, server_hostname=server_name) as s:
            subject = dict(x[0] for x in s.getpeercert()["subject"])
            return subject["commonName"], s.selected_alpn_protocol()


class _HttpsTo(http.client.HTTPSConnection):
    """HTTPS to 127.0.0.1:port with `name` as SNI, verified name and Host."""

    def __init__(self, port, name, ctx):
        super().__init__(name, port, timeout=harness.scaled(5), context=ctx)
        self._local_port = port

    def connect(self):
        raw = socket.create_connection(("127.0.0.1", self._local_port), timeout=harness.scaled(5))
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)


def https_get(port, server_name, cafile, path="/"):
    conn = _HttpsTo(port, server_name, ssl.create_default_context(cafile=cafile))
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read().decode()
    finally:
        conn.close()


class TlsTest(harness.StraitTestCase):

    def setUp(self):
        super().setUp()
        self.pki = Pki(self.tmp)
        self.cafile = os.path.join(self.tmp, "ca.pem")
        self.cert_a = self.pki.leaf("a.test", ["DNS:a.test"])
        self.cert_b = self.pki.leaf("wild.b.test", ["DNS:*.b.test"])
        self.upstream = self.start_upstream("backend")
        self.port = free_port()
        self.config_dir = self.make_config_dir()

    def tls_config(self, cert_a=None, tls_extra=None):
        gen = generation(self.port, {"*": [route("/", "svc")]}, {"svc": [self.upstream]})
        tls = {"certificates": [{"secret": "cert-a", "server_names": ["a.test"]},
                                {"secret": "cert-b", "server_names": ["*.b.test"]}]}
        tls.update(tls_extra or {})
        gen["listeners"][0]["tls"] = tls
        cert, key = cert_a or self.cert_a
        gen["secrets"] = [secret("cert-a", cert, key), secret("cert-b", *self.cert_b)]
        return gen

    def start(self, gen):
        self.write_config(self.config_dir, "mesh.yaml", gen)
        self.control_port = self.start_control(self.config_dir)
        self.admin = self.start_sidecar("web-1", "web", self.control_port, workers=1)
        self.v1 = harness.straitctl_status(self.control_port)["version"]
        self.wait_acked(self.control_port, "web-1", self.v1)

    def test_termination_with_curl(self):
        self.start(self.tls_config())
        r = subprocess.run(["curl", "-sS", "--cacert", self.cafile, "--resolve",
                            "a.test:%d:127.0.0.1" % self.port, "-D", "-",
                            "https://a.test:%d/hello" % self.port],
                           capture_output=True, text=True, timeout=harness.scaled(10))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("200", r.stdout.splitlines()[0])
        self.assertIn("x-upstream-name: backend", r.stdout)
        self.assertIn("x-forwarded-proto: https", r.stdout)  # echoed request header

    def test_session_resumption_with_tickets(self):
        self.start(self.tls_config())
        sess = os.path.join(self.tmp, "session.pem")

        def s_client(*extra):
            return subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % self.port,
                                   "-servername", "a.test", "-CAfile", self.cafile, "-tls1_2"] + list(extra),
                                  stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=harness.scaled(10)).stdout

        first = s_client("-sess_out", sess)
        self.assertIn("New, TLSv1.2", first)
        self.assertIn("TLS session ticket", first)  # a ticket was issued
        second = s_client("-sess_in", sess)
        self.assertIn("Reused, TLSv1.2", second)

    def test_h2_over_tls_by_alpn(self):
        self.start(self.tls_config())
        self.assertEqual(tls_handshake(self.port, "a.test", self.cafile, alpn=("h2", "http/1.1")),
                         ("a.test", "h2"))
        r = subprocess.run(["curl", "-sS", "--http2", "--cacert", self.cafile, "--resolve",
                            "a.test:%d:127.0.0.1" % self.port, "-D", "-", "-o", "/dev/null",
                            "https://a.test:%d/h2" % self.port],
                           capture_output=True, text=True, timeout=harness.scaled(10))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(r.stdout.startswith("HTTP/2 200"), r.stdout)
        r = subprocess.run(["h2load", "-n", "500", "-c", "2", "-m", "20", "https://127.0.0.1:%d/load" % self.port],
                           capture_output=True, text=True, timeout=harness.scaled(60))
        self.assertIn("500 succeeded, 0 failed", r.stdout, r.stdout + r.stderr)

    def test_sni_picks_certificate_and_alpn(self):
        self.start(self.tls_config())
        self.assertEqual(tls_handshake(self.port, "a.test", self.cafile), ("a.test", "http/1.1"))
        self.assertEqual(tls_handshake(self.port, "x.b.test", self.cafile)[0], "wild.b.test")
        # Unknown names get the first (default) certificate.
        ctx = ssl.create_default_context(cafile=self.cafile)
        ctx.check_hostname = False
        with socket.create_connection(("127.0.0.1", self.port), timeout=harness.scaled(5)) as raw:
            with ctx.wrap_socket(raw, server_hostname="other.test") as s:
                self.assertEqual(dict(x[0] for x in s.getpeercert()["subject"])["commonName"],
                                 "a.test")
        status, headers, _ = https_get(self.port, "y.b.test", self.cafile)
        self.assertEqual((status, headers.get("x-upstream-name")), (200, "backend"))

    def test_min_version_tls13_refuses_tls12(self):
        self.start(self.tls_config(tls_extra={"params": {"min_version": "TLSv1_3"}}))
        with self.assertRaises(ssl.SSLError):
            tls_handshake(self.port, "a.test", self.cafile, max_version=ssl.TLSVersion.TLSv1_2)
        r = subprocess.run(["curl", "-sS", "--cacert", self.cafile, "--tls-max", "1.2",
                            "--resolve", "a.test:%d:127.0.0.1" % self.port,
                            "https://a.test:%d/" % self.port],
                           capture_output=True, text=True, timeout=harness.scaled(10))
        self.assertNotEqual(r.returncode, 0)
        self.assertEqual(tls_handshake(self.port, "a.test", self.cafile)[0], "a.test")

    def test_handshakes_are_counted_and_failures_by_reason(self):
        self.start(self.tls_config(tls_extra={"params": {"min_version": "TLSv1_3"}}))
        self.assertEqual(tls_handshake(self.port, "a.test", self.cafile)[0], "a.test")
        with self.assertRaises(ssl.SSLError):  # too old a version
            tls_handshake(self.port, "a.test", self.cafile, max_version=ssl.TLSVersion.TLSv1_2)
        with socket.create_connection(("127.0.0.1", self.port), timeout=harness.scaled(5)) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: a.test\r\n\r\n")  # plaintext HTTP to a TLS port
            s.recv(100)

        def counted():
            body = harness.http_get(self.admin, "/stats")[2]
            want = ['strait_listener_cx_total{listener="ingress"} 3',
                    'strait_listener_tls_handshake_total{listener="ingress"} 1',
                    'strait_listener_tls_handshake_failure_total{listener="ingress",reason="unsupported_protocol"} 1',
                    'strait_listener_tls_handshake_failure_total{listener="ingress",reason="http_request"} 1']
            return all(w in body for w in want) or None
        wait_until(counted, 10, message="handshakes counted by outcome and reason")

    def wait_nacked(self, version):
        def nacked():
            s = harness.straitctl_status(self.control_port)["sidecars"].get("web-1")
            return s if s and s["nacked"] == version else None
        return wait_until(nacked, 10, message="web-1 to NACK %s" % version)

    def test_bad_certificate_material_is_nacked_and_old_certificate_serves(self):
        self.start(self.tls_config())
        other_cert, other_key = self.pki.leaf("other", ["DNS:a.test"])
        expired = self.pki.leaf("expired", ["DNS:a.test"], days=-1)
        malformed = ("-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n",
                     self.cert_a[1])
        cases = [((self.cert_a[0], other_key), "private_key"),
                 (expired, "certificate expired"),
                 (malformed, "certificate_chain")]
        previous = self.v1
        for material, reason in cases:
            self.write_config(self.config_dir, "mesh.yaml", self.tls_config(cert_a=material))
            v = self.wait_serving_version(self.control_port, lambda x, p=previous: x != p)
            previous = v
            s = self.wait_nacked(v)
            self.assertIn("secret 'cert-a'", s["nack"])
            self.assertIn("listener 'ingress'", s["nack"])
            self.assertIn(reason, s["nack"])
            self.assertEqual(s["acked"], self.v1)
            self.assertEqual(tls_handshake(self.port, "a.test", self.cafile)[0], "a.test")
        self.assertEqual(harness.live_version(self.admin), self.v1)


class UpstreamTlsTest(harness.StraitTestCase):
    """Sidecar A (plain listener) -> cluster with TLS -> sidecar B's TLS listener -> upstream."""

    def test_origination_and_san_mismatch(self):
        pki = Pki(self.tmp)
        b_cert = pki.leaf("b", ["DNS:b.internal", "URI:spiffe://strait.test/ns/default/sa/b"])
        upstream = self.start_upstream("backend")
        port_a, port_b = free_port(), free_port()

        def upstream_tls(sans):
            return {"sni": "b.internal", "trusted_ca_secret": "mesh-ca",
                    "match_subject_alt_names": sans}
        gen = generation(port_a, {"*": [route("/good", "to-b"), route("/dns", "to-b-dns"),
                                        route("/bad", "to-b-bad")]},
                         {"to-b": [port_b], "to-b-dns": [port_b], "to-b-bad": [port_b]},
                         listener_name="a-in", route_config="a-routes", services=["a"])
        by_name = {c["name"]: c for c in gen["clusters"]}
        by_name["to-b"]["tls"] = upstream_tls(["spiffe://strait.test/ns/default/sa/b"])
        by_name["to-b-dns"]["tls"] = upstream_tls(["b.internal"])
        by_name["to-b-bad"]["tls"] = upstream_tls(["spiffe://strait.test/ns/default/sa/other"])
        gen_b = generation(port_b, {"*": [route("/", "backend")]}, {"backend": [upstream]},
                           listener_name="b-in", route_config="b-routes", services=["b"])
        gen_b["listeners"][0]["tls"] = {"certificates": [{"secret": "b-cert"}]}
        for kind in ("listeners", "route_configs", "clusters", "load_assignments"):
            gen[kind] += gen_b[kind]
        gen["secrets"] = [secret("mesh-ca", ca=pki.ca), secret("b-cert", *b_cert)]
        config_dir = self.make_config_dir()
        self.write_config(config_dir, "mesh.yaml", gen)
        control = self.start_control(config_dir)
        self.start_sidecar("b-1", "b", control, workers=1)
        self.start_sidecar("a-1", "a", control, workers=1)

        for path in ("/good", "/dns"):
            status, headers, body = harness.http_get(port_a, path)
            self.assertEqual((status, headers.get("x-upstream-name")), (200, "backend"), body)
            # B terminated TLS: the request reached the upstream marked https.
            self.assertIn("x-forwarded-proto: https", body)
        status, headers, _ = harness.http_get(port_a, "/bad")
        self.assertIn(status, (502, 503))
        self.assertEqual(headers.get("x-strait-local-reply"), "upstream_connect_failure")
        # Keep-alive reuse of the TLS upstream connection still works afterwards.
        client = harness.KeepAliveClient(port_a)
        self.addCleanup(client.close)
        for _ in range(3):
            self.assertEqual(client.get("/good")[0], 200)


if __name__ == "__main__":
    harness.main()
