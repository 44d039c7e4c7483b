#!/usr/bin/env python3
"""Certificate rotation under load: with 5-second certificate lifetimes, clients send requests
continuously for at least 30 seconds, and until the rotation below has been seen (a slow,
busy machine takes longer to get there), through two sidecars (web -> mTLS -> api -> upstream) while both
sidecars renew their mesh certificates every ~2.5 s. No request may fail, the certificate api
serves to new handshakes must change several times, and web must keep opening new mTLS
connections to api throughout (its pooled connections carry on with the certificate they
were made with; new handshakes use the current one).

Also: TLS session resumption (session tickets) on a plain TLS-terminating listener, across
the sidecar's workers."""

import os
import re
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import free_port, generation, route, write_file  # noqa: E402

RUN_SECONDS = 30          # the least the load runs
MIN_OK_REQUESTS = 1000    # ... and until this many requests passed,
MIN_SERIALS = 4           # api served this many certificates to new handshakes,
MIN_NEW_CX = 10           # web opened this many mTLS connections to api,
MIN_ISSUED = 6            # and each sidecar was issued this many certificates
TD = "spiffe://strait.local/ns/shop/sa/"
TOKENS = {"web": "token-for-web", "api": "token-for-api"}


def s_client(port, *extra, request=None):
    """`openssl s_client` to 127.0.0.1:port; its stdout. With no `request`, no input
    (handshake, then close); otherwise sends `request` and reads until the server closes
    (a TLS 1.3 session ticket arrives after the handshake: s_client only sees it if it
    keeps reading)."""
    args = ["openssl", "s_client", "-connect", "127.0.0.1:%d" % port] + list(extra)
    if request is None:
        r = subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=harness.scaled(10))
    else:
        r = subprocess.run(args + ["-ign_eof"], input=request, capture_output=True, text=True,
                           timeout=harness.scaled(10))
    return r.stdout


def served_serial(port):
    """Serial of the certificate the listener presents to a new handshake. No client
    certificate is sent: a strict mTLS listener still shows its certificate before it
    refuses the handshake."""
    out = s_client(port)
    begin, end = out.find("-----BEGIN CERTIFICATE-----"), out.find("-----END CERTIFICATE-----")
    if begin < 0 or end < 0:
        return None
    x = subprocess.run(["openssl", "x509", "-noout", "-serial"],
                       input=out[begin:end + len("-----END CERTIFICATE-----")] + "\n",
                       capture_output=True, text=True, timeout=harness.scaled(10))
    return x.stdout.strip() or None


def stat(admin_port, name):
    """Value of an un-labelled counter from the sidecar's /stats."""
    _, _, body = harness.http_get(admin_port, "/stats")
    m = re.search(r"^%s (\d+)$" % re.escape(name), body, re.M)
    return int(m.group(1)) if m else None


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
                 "tls": {"use_mesh_certificate": True, "mtls_mode": "MTLS_STRICT"},
                 "authorization": {"rules": [
                     {"name": "web-only", "action": "ALLOW", "principals": [TD + "web"]}]}}],
            "route_configs": [
                {"name": "web-out", "virtual_hosts": [{"name": "all", "domains": ["*"], "routes": [route("/", "api")]}]},
                {"name": "api-in", "virtual_hosts": [{"name": "all", "domains": ["*"], "routes": [route("/", "api-app")]}]}],
            "clusters": [
                # A short idle timeout: connections opened for a burst close soon after it, so
                # the next burst makes new mTLS handshakes with whatever certificates are current.
                {"name": "api", "connect_timeout": "2s", "idle_timeout": "1s",
                 "tls": {"use_mesh_certificate": True, "match_subject_alt_names": [TD + "api"]}},
                {"name": "api-app", "connect_timeout": "1s"}],
            "load_assignments": [
                {"cluster_name": "api", "endpoints": [{"address": "127.0.0.1", "port": self.api_port}]},
                {"cluster_name": "api-app", "endpoints": [{"address": "127.0.0.1", "port": backend}]}],
        }
        config_dir = self.make_config_dir()
        self.write_config(config_dir, "mesh.yaml", gen)
        control = self.start_control(config_dir, tls=True, extra_args=["--tokens", tokens, "--cert-ttl", "5s"])
        self.api_admin = self.start_sidecar("api-1", "api", control, tls=True, token=TOKENS["api"], ttl_seconds=5)
        self.web_admin = self.start_sidecar("web-1", "web", control, tls=True, token=TOKENS["web"], ttl_seconds=5)

    def test_no_request_fails_while_certificates_rotate(self):
        stop = threading.Event()
        lock = threading.Lock()
        counts = {"ok": 0}
        failures = []
        expected_id = "x-strait-peer-identity: " + TD + "web"

        def record(kind, status, body):
            with lock:
                if status == 200 and expected_id in body.lower():
                    counts["ok"] += 1
                else:
                    failures.append((time.strftime("%H:%M:%S"), kind, status, body[:300]))

        def keep_alive_client():
            client = harness.KeepAliveClient(self.web_port)
            while not stop.is_set():
                try:
                    status, _, body = client.get("/ka")
                    record("keep-alive", status, body)
                except Exception as e:  # noqa: BLE001 - any error is a failed request
                    record("keep-alive", "exception", repr(e))
                    client.reconnect()
            client.close()

        def new_connection_client():
            while not stop.is_set():
                try:
                    status, _, body = harness.http_get(self.web_port, "/new")
                    record("new-connection", status, body)
                except Exception as e:  # noqa: BLE001
                    record("new-connection", "exception", repr(e))

        def burst():
            # Every 2 s, 6 requests at once on new connections: more than web's pool holds,
            # so web opens new mTLS connections to api (closed again by the 1 s idle timeout).
            while not stop.wait(2.0):
                ts = [threading.Thread(target=lambda: record_one("/burst")) for _ in range(6)]
                for t in ts:
                    t.start()
                for t in ts:
                    t.join(harness.scaled(10))

        def record_one(path):
            try:
                status, _, body = harness.http_get(self.web_port, path)
                record("burst", status, body)
            except Exception as e:  # noqa: BLE001
                record("burst", "exception", repr(e))

        samples = []  # (served serial or None, web's upstream connections opened so far)

        def observer():
            while not stop.wait(0.5):
                samples.append((served_serial(self.api_port),
                                stat(self.web_admin, "strait_upstream_cx_total")))

        def seen():
            """(distinct serials served, serials during which web opened at least one new
            upstream (mTLS) connection), from the observer's samples so far."""
            snap = list(samples)
            serials = [s for s, _ in snap if s]
            new_handshakes = {s for (s, c), (_, prev) in zip(snap[1:], snap)
                              if s and c is not None and prev is not None and c > prev}
            return list(dict.fromkeys(serials)), new_handshakes

        def rotation_seen():
            distinct, new_handshakes = seen()
            cx = stat(self.web_admin, "strait_upstream_cx_total")
            issued = [p.log().count("identity: issued ") for p in self.procs
                      if p.name.startswith("sidecar")]
            return (counts["ok"] >= MIN_OK_REQUESTS and len(distinct) >= MIN_SERIALS and
                    len(new_handshakes) >= MIN_SERIALS and cx - cx_before >= MIN_NEW_CX and
                    min(issued) >= MIN_ISSUED)

        cx_before = stat(self.web_admin, "strait_upstream_cx_total")
        threads = [threading.Thread(target=f, daemon=True)
                   for f in (keep_alive_client, keep_alive_client, new_connection_client, burst,
                             observer)]
        for t in threads:
            t.start()
        # The load runs at least RUN_SECONDS, then until the rotation was seen; the deadline
        # only bounds a run that never gets there (then the assertions below say what lacked).
        started = time.monotonic()
        deadline = started + harness.scaled(RUN_SECONDS * 3)
        while not stop.wait(0.5):
            now = time.monotonic()
            if failures or now >= deadline or (now - started >= RUN_SECONDS and rotation_seen()):
                break
        stop.set()
        for t in threads:
            t.join(harness.scaled(15))
        cx_after = stat(self.web_admin, "strait_upstream_cx_total")
        distinct, with_new_handshakes = seen()
        serials = [s for s, _ in samples if s]
        sys.stderr.write("rotation: %.0f s, %d requests ok, %d failed; api served %d serials; web "
                         "opened %d upstream connections during %d of them\n"
                         % (time.monotonic() - started, counts["ok"], len(failures), len(distinct),
                            cx_after - cx_before, len(with_new_handshakes)))
        self.assertEqual(failures[:5], [], "%d failed requests" % len(failures))
        self.assertGreaterEqual(counts["ok"], MIN_OK_REQUESTS)
        self.assertGreaterEqual(len(distinct), MIN_SERIALS, serials)
        self.assertGreaterEqual(cx_after - cx_before, MIN_NEW_CX)
        self.assertGreaterEqual(len(with_new_handshakes), MIN_SERIALS, samples)
        for proc in self.procs:
            if proc.name.startswith("sidecar"):
                log = proc.log()
                # Both sides renewed all along (every ~2.5 s), and never failed to.
                self.assertGreaterEqual(log.count("identity: issued "), MIN_ISSUED, proc.log_tail())
                self.assertNotIn("identity: certificate request failed", log)


class SessionResumptionTest(harness.StraitTestCase):
    """A TLS-terminating listener (no mTLS) resumes sessions from its session tickets, on
    whichever worker the resuming connection lands."""

    def test_session_ticket_resumption(self):
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:P-256", "-nodes", "-keyout", "srv.key", "-out",
                        "srv.pem", "-days", "1", "-subj", "/CN=srv.test",
                        "-addext", "subjectAltName=DNS:srv.test"],
                       cwd=self.tmp, check=True, capture_output=True, timeout=harness.scaled(30))
        with open(self.path("srv.pem")) as f:
            cert = f.read()
        with open(self.path("srv.key")) as f:
            key = f.read()
        upstream = self.start_upstream("backend")
        port = free_port()
        gen = generation(port, {"*": [route("/", "svc")]}, {"svc": [upstream]})
        gen["listeners"][0]["tls"] = {"certificates": [{"secret": "srv", "server_names": ["srv.test"]}]}
        gen["secrets"] = [{"name": "srv", "certificate_chain": cert, "private_key": key}]
        config_dir = self.make_config_dir()
        self.write_config(config_dir, "mesh.yaml", gen)
        control = self.start_control(config_dir)
        self.start_sidecar("tls-1", "web", control, workers=2)

        request = "GET /resume HTTP/1.1\r\nHost: srv.test\r\nConnection: close\r\n\r\n"
        for version in ("-tls1_3", "-tls1_2"):
            sess = self.path("session%s.pem" % version)
            first = s_client(port, version, "-servername", "srv.test", "-sess_out", sess,
                             request=request)
            self.assertIn("New, TLSv1.", first)
            self.assertIn("HTTP/1.1 200", first)
            self.assertTrue(os.path.exists(sess) and os.path.getsize(sess) > 0, first)
            saved = subprocess.run(["openssl", "sess_id", "-in", sess, "-noout", "-text"],
                                   capture_output=True, text=True, timeout=harness.scaled(10)).stdout
            self.assertIn("TLS session ticket:", saved)  # a ticket, not a session id to look up
            # Several resumptions: connections spread over both workers, and each must accept
            # the ticket (the ticket keys are shared by the workers).
            for _ in range(6):
                again = s_client(port, version, "-servername", "srv.test", "-sess_in", sess,
                                 request=request)
                self.assertIn("Reused, TLSv1.", again, "%s: not resumed:\n%s" % (version, again))
                self.assertIn("HTTP/1.1 200", again)


if __name__ == "__main__":
    harness.main()
