#!/usr/bin/env python3
"""Header manipulation with variables, weighted splits (statistical bound), pinning by header
and cookie, and request mirroring (routing-policy issue), over HTTP/1.1 and HTTP/2. The
shadow upstream is a small Python server in this process that records what it receives and
can be made slow."""

import http.server
import math
import os
import re
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from h2curl import h2_request  # noqa: E402
from harness import free_port, generation  # noqa: E402

SENDERS = (("h1", harness.http_request), ("h2", h2_request))
# The slow-shadow test's mirror timeout: its shadow holds every copy until the test ends, so a
# primary that waited for its shadow would take this long. A correct primary, however slow
# the machine, takes a small fraction of it.
MIRROR_TIMEOUT_S = 60


def echoed(body, name):
    m = re.search(r"^%s: (.*)$" % re.escape(name), body.split("\n\n", 1)[0], re.M)
    return m.group(1) if m else None


def echoed_all(body, name):
    return re.findall(r"^%s: (.*)$" % re.escape(name), body.split("\n\n", 1)[0], re.M)


class Shadow:
    """A recording HTTP/1.1 server; a request for a path containing "slow" is held until the
    test ends (stop() releases it) or `slow_s` seconds pass."""

    def __init__(self, slow_s=MIRROR_TIMEOUT_S * 2):
        self.requests = []
        self.lock = threading.Lock()
        self.release = threading.Event()
        shadow = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_ANY(self):
                n = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(n) if n else b""
                with shadow.lock:
                    shadow.requests.append((self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                if "slow" in self.path:
                    shadow.release.wait(slow_s)
                self.send_response(200)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            do_GET = do_POST = do_PUT = do_ANY

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def find(self, path):
        with self.lock:
            return [r for r in self.requests if r[1] == path]

    def stop(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


class HeadersSplitMirrorTest(harness.StraitTestCase):

    def start(self, routes, endpoints, config_extra=None, vhost_extra=None):
        self.port = free_port()
        gen = generation(self.port, {"*": routes}, endpoints)
        gen["route_configs"][0].update(config_extra or {})
        gen["route_configs"][0]["virtual_hosts"][0].update(vhost_extra or {})
        config_dir = self.make_config_dir()
        self.write_config(config_dir, "mesh.yaml", gen)
        self.admin = self.start_sidecar("web-1", "web", self.start_control(config_dir))

    def stat(self, name):
        body = harness.http_get(self.admin, "/stats")[2]
        m = re.search(r"^%s (\d+)$" % re.escape(name), body, re.M)
        return int(m.group(1)) if m else 0

    # ----- headers -----

    def test_request_and_response_headers(self):
        up = self.start_upstream("backend")
        route = {
            "name": "hdrs", "match": {"prefix": "/"}, "route": {"cluster": "backend"},
            "request_headers_to_add": [
                {"key": "x-client", "value": "%DOWNSTREAM_REMOTE_ADDRESS%"},
                {"key": "x-rid-copy", "value": "id=%REQ_ID%"},
                {"key": "x-route", "value": "%ROUTE_NAME%"},
                {"key": "x-endpoint", "value": "%UPSTREAM_HOST%"},
                {"key": "x-peer", "value": "[%PEER_IDENTITY%] 100%%"},
                {"key": "x-set", "value": "new", "action": "SET"},
                {"key": "x-list", "value": "c", "action": "APPEND"},
                {"key": "x-multi", "value": "two", "action": "ADD"},
                {"key": "x-keep", "value": "default", "action": "ADD_IF_ABSENT"},
            ],
            "request_headers_to_remove": ["x-secret"],
            "response_headers_to_add": [{"key": "x-served-by", "value": "%UPSTREAM_HOST%"}],
            "response_headers_to_remove": ["x-upstream-name"],
        }
        self.start([route], {"backend": [up]},
                   config_extra={"response_headers_to_add": [{"key": "x-config", "value": "%ROUTE_NAME%"}]},
                   vhost_extra={"request_headers_to_add": [{"key": "x-vhost", "value": "yes"}]})
        sent = {"x-secret": "s3cret", "x-set": "old", "x-list": "a, b", "x-multi": "one",
                "x-keep": "mine", "x-request-id": "req-123"}
        for proto, send in SENDERS:
            status, hdrs, body = send(self.port, "/h", headers=sent)
            self.assertEqual(status, 200, proto)
            self.assertEqual(echoed(body, "x-client"), "127.0.0.1", proto)
            self.assertEqual(echoed(body, "x-rid-copy"), "id=req-123")
            self.assertEqual(echoed(body, "x-route"), "hdrs")
            self.assertEqual(echoed(body, "x-endpoint"), "127.0.0.1:%d" % up)
            self.assertEqual(echoed(body, "x-peer"), "[] 100%")
            self.assertEqual(echoed_all(body, "x-set"), ["new"])
            self.assertEqual(echoed(body, "x-list"), "a, b, c")
            self.assertEqual(echoed_all(body, "x-multi"), ["one", "two"])
            self.assertEqual(echoed(body, "x-keep"), "mine")
            self.assertEqual(echoed(body, "x-vhost"), "yes")
            self.assertIsNone(echoed(body, "x-secret"), proto)
            self.assertEqual(hdrs.get("x-served-by"), "127.0.0.1:%d" % up, proto)
            self.assertEqual(hdrs.get("x-config"), "hdrs")
            self.assertNotIn("x-upstream-name", hdrs, proto)

    def test_upstream_host_follows_the_retry(self):
        bad = self.start_upstream("bad", extra_args=["--status", "503"])
        good = self.start_upstream("good")
        route = {"name": "r", "match": {"prefix": "/"},
                 "route": {"cluster": "backend", "retry_policy": {"retry_on": ["5xx"], "num_retries": 1}},
                 "request_headers_to_add": [{"key": "x-endpoint", "value": "%UPSTREAM_HOST%", "action": "ADD"}]}
        self.start([route], {"backend": [bad, good]})
        for i in range(6):
            status, hdrs, body = harness.http_get(self.port, "/r%d" % i)
            self.assertEqual(status, 200)
            # One value (not one per attempt), the endpoint that answered.
            self.assertEqual(echoed_all(body, "x-endpoint"), ["127.0.0.1:%d" % good])

    # ----- splits -----

    def split_route(self, **wc_extra):
        wc = {"clusters": [{"name": "stable", "weight": 90}, {"name": "canary", "weight": 10}]}
        wc.update(wc_extra)
        return {"name": "split", "match": {"prefix": "/"}, "route": {"weighted_clusters": wc}}

    def test_weighted_split_90_10_within_bounds(self):
        stable, canary = self.start_upstream("stable"), self.start_upstream("canary")
        self.start([self.split_route()], {"stable": [stable], "canary": [canary]})
        n = 1000
        client = harness.KeepAliveClient(self.port)
        try:
            counts = {"stable": 0, "canary": 0}
            for i in range(n):
                status, hdrs, _ = client.get("/s%d" % i)
                self.assertEqual(status, 200)
                counts[hdrs["x-upstream-name"]] += 1
        finally:
            client.close()
        # Binomial(1000, 0.1): sd = 9.5; 5 sd either side fails a correct proxy ~1 in 3.5 million.
        sd = math.sqrt(n * 0.9 * 0.1)
        self.assertLess(abs(counts["canary"] - n * 0.1), 5 * sd, counts)

    def test_pinning_by_header_and_cookie(self):
        stable, canary = self.start_upstream("stable"), self.start_upstream("canary")
        routes = [dict(self.split_route(hash_on_cookie="uid"), name="cookie", match={"prefix": "/c"}),
                  self.split_route(hash_on_header="x-user")]
        self.start(routes, {"stable": [stable], "canary": [canary]})
        sides = set()
        for user in range(40):
            seen = set()
            for i in range(5):
                proto, send = SENDERS[i % 2]
                _, hdrs, _ = send(self.port, "/p", headers={"x-user": "user-%d" % user})
                seen.add(hdrs["x-upstream-name"])
                _, chdrs, _ = send(self.port, "/c", headers={"cookie": "a=1; uid=user-%d" % user})
                seen_cookie = chdrs["x-upstream-name"]
            self.assertEqual(len(seen), 1, "user-%d moved: %s" % (user, seen))
            sides |= seen
            sides.add(seen_cookie)
        self.assertEqual(sides, {"stable", "canary"})  # 40 users: both sides are used

    # ----- mirroring -----

    def mirror_setup(self, percent=100, **policy):
        shadow = Shadow()
        self.addCleanup(shadow.stop)
        up = self.start_upstream("primary")
        p = {"cluster": "shadow", "runtime_percent": percent}
        p.update(policy)
        route = {"name": "m", "match": {"prefix": "/"},
                 "route": {"cluster": "primary", "request_mirror_policies": [p]}}
        self.start([route], {"primary": [up], "shadow": [shadow.port]})
        return shadow

    def test_mirror_receives_a_copy(self):
        shadow = self.mirror_setup()
        for proto, send in SENDERS:
            path = "/copy-%s?x=1" % proto
            status, hdrs, body = send(self.port, path, method="POST", host="svc.local",
                                      body="payload-" + proto)
            self.assertEqual(status, 200)
            self.assertEqual(hdrs["x-upstream-name"], "primary")
            got = harness.wait_until(lambda: shadow.find(path), message="shadow copy of " + path)
            method, _, headers, data = got[0]
            self.assertEqual(method, "POST")
            self.assertEqual(headers.get("host"), "svc.local-shadow")
            self.assertEqual(data, ("payload-" + proto).encode())
        harness.wait_until(lambda: self.stat("strait_mirror_total") >= 2, message="mirror counter")

    def test_slow_shadow_does_not_delay_the_primary(self):
        # The shadow answers no "slow" copy before the test ends: every primary below is
        # answered while its copy is still pending at the shadow.
        shadow = self.mirror_setup(timeout="%ds" % MIRROR_TIMEOUT_S)
        for proto, send in SENDERS:
            path = "/slow-%s" % proto
            t0 = time.monotonic()
            status, _, _ = send(self.port, path, timeout=MIRROR_TIMEOUT_S)
            elapsed = time.monotonic() - t0
            self.assertEqual(status, 200)
            self.assertLess(elapsed, MIRROR_TIMEOUT_S / 2,
                            "%s primary took %.2fs behind a shadow that never answers" % (proto, elapsed))
            harness.wait_until(lambda: shadow.find(path), message="shadow got " + path)
        # Primaries keep flowing while shadow exchanges are still pending.
        t0 = time.monotonic()
        for i in range(20):
            self.assertEqual(harness.http_get(self.port, "/slow-more-%d" % i, timeout=MIRROR_TIMEOUT_S)[0], 200)
        self.assertLess(time.monotonic() - t0, MIRROR_TIMEOUT_S / 2)
        self.assertFalse(shadow.release.is_set())

    def test_large_body_is_not_mirrored(self):
        shadow = self.mirror_setup(max_body_bytes=1024)
        status, _, _ = harness.http_request(self.port, "/big", method="POST", body="x" * 8192)
        self.assertEqual(status, 200)  # the primary is unaffected
        harness.wait_until(lambda: self.stat("strait_mirror_dropped_total") == 1, message="drop counted")
        status, _, _ = harness.http_request(self.port, "/small", method="POST", body="x" * 100)
        harness.wait_until(lambda: shadow.find("/small"), message="small body mirrored")
        self.assertEqual(shadow.find("/big"), [])

    def test_fractional_percent(self):
        shadow = self.mirror_setup(percent=0.0001)  # one in a million: in practice never
        for i in range(20):
            self.assertEqual(harness.http_get(self.port, "/f%d" % i)[0], 200)
        self.assertEqual(self.stat("strait_mirror_total"), 0)
        self.assertEqual(len(shadow.requests), 0)


if __name__ == "__main__":
    harness.main()
