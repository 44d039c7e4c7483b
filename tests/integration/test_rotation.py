#!/usr/bin/env python3
"""Certificate rotation under load: with 5-second certificate lifetimes, clients send requests
continuously for 30 seconds through two sidecars (web -> mTLS -> api -> upstream) while both
sidecars renew their mesh certificates every ~2.5 s. No request may fail, and the
certificate api serves to new handshakes must change several times."""

import os
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import free_port, route, write_file  # noqa: E402

RUN_SECONDS = 30
TD = "spiffe://strait.local/ns/shop/sa/"
TOKENS = {"web": "token-for-web", "api": "token-for-api"}


def served_serial(port):
    """Serial of the certificate the listener presents to a new handshake (no client cert:
    the server still shows its certificate before refusing us)."""
    s = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % port, "-showcerts"],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=10)
    pem = s.stdout[s.stdout.find("-----BEGIN CERTIFICATE-----"):]
    pem = pem[:pem.find("-----END CERTIFICATE-----") + 25]
    if not pem.startswith("-----BEGIN"):
        return None
    x = subprocess.run(["openssl", "x509", "-noout", "-serial"], input=pem, capture_output=True,
                       text=True, timeout=10)
    return x.stdout.strip() or None


class RotationUnderLoadTest(harness.StraitTestCase):

    def setUp(self):
        super().setUp()
        tokens = self.path("tokens.yaml")
        write_file(tokens, "tokens:\n" + "".join(
            "- {token: %s, namespace: shop, service_account: %s}\n" % (t, sa) for sa, t in TOKENS.items()))
        backend = self.start_upstream("api-app", threads=2)
        self.web_port, self.api_port = free_port(), free_port()
        gen = {
            "listeners": [
                {"name": "web-out", "address": "127.0.0.1", "port": self.web_port,
                 "route_config": "web-out", "services": ["web"]},
                {"name": "api-in", "address": "127.0.0.1", "port": self.api_port,
                 "route_config": "api-in", "services": ["api"],
                 "tls": {"use_mesh_certificate": True, "mtls_mode": "MTLS_STRICT"}}],
            "route_configs": [
                {"name": "web-out", "virtual_hosts": [{"name": "all", "domains": ["*"], "routes": [route("/", "api")]}]},
                {"name": "api-in", "virtual_hosts": [{"name": "all", "domains": ["*"], "routes": [route("/", "api-app")]}]}],
            "clusters": [
                {"name": "api", "connect_timeout": "2s",
                 "tls": {"use_mesh_certificate": True, "match_subject_alt_names": [TD + "api"]}},
                {"name": "api-app", "connect_timeout": "1s"}],
            "load_assignments": [
                {"cluster_name": "api", "endpoints": [{"address": "127.0.0.1", "port": self.api_port}]},
                {"cluster_name": "api-app", "endpoints": [{"address": "127.0.0.1", "port": backend}]}],
        }
        config_dir = self.make_config_dir()
        self.write_config(config_dir, "mesh.yaml", gen)
        control = self.start_control(config_dir, tls=True, extra_args=["--tokens", tokens, "--cert-ttl", "5s"])
        self.start_sidecar("api-1", "api", control, tls=True, token=TOKENS["api"], ttl_seconds=5)
        self.start_sidecar("web-1", "web", control, tls=True, token=TOKENS["web"], ttl_seconds=5)

    def test_no_request_fails_while_certificates_rotate(self):
        stop = threading.Event()
        lock = threading.Lock()
        counts = {"ok": 0}
        failures = []

        def record(status, body):
            with lock:
                if status == 200 and ("x-strait-peer-identity: " + TD + "web") in body.lower():
                    counts["ok"] += 1
                else:
                    failures.append((status, body[:200]))

        def keep_alive_client():
            client = harness.KeepAliveClient(self.web_port)
            while not stop.is_set():
                try:
                    status, _, body = client.get("/ka")
                    record(status, body)
                except Exception as e:  # noqa: BLE001 - any error is a failed request
                    failures.append(("exception", repr(e)))
                    client.reconnect()
            client.close()

        def new_connection_client():
            while not stop.is_set():
                try:
                    status, _, body = harness.http_get(self.web_port, "/new")
                    record(status, body)
                except Exception as e:  # noqa: BLE001
                    failures.append(("exception", repr(e)))

        serials = []

        def observer():
            while not stop.wait(0.5):
                s = served_serial(self.api_port)
                if s and (not serials or serials[-1] != s):
                    serials.append(s)

        threads = [threading.Thread(target=f, daemon=True)
                   for f in (keep_alive_client, keep_alive_client, new_connection_client, observer)]
        for t in threads:
            t.start()
        time.sleep(RUN_SECONDS)  # the load's duration, not a wait for a condition
        stop.set()
        for t in threads:
            t.join(15)
        sys.stderr.write("rotation: %d requests ok, %d failed, %d served serials\n"
                         % (counts["ok"], len(failures), len(serials)))
        self.assertEqual(failures[:5], [])
        self.assertGreater(counts["ok"], 1000)
        self.assertGreaterEqual(len(set(serials)), 4, serials)


if __name__ == "__main__":
    harness.main()
