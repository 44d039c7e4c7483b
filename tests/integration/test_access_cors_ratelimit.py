#!/usr/bin/env python3
"""HTTP filters of the routing-policy issue through the real sidecar, with HTTP/1.1
(http.client, raw sockets) and HTTP/2 (curl --http2-prior-knowledge) clients:
access_control (403 by CIDR, path, method and header; 413 by content-length and by a
streamed body; 431), cors (preflight answered by the sidecar, headers on actual responses)
and local_rate_limit (429 + retry-after; one bucket shared by both workers)."""

import concurrent.futures
import os
import re
import socket
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import free_port, generation, route  # noqa: E402

ORIGIN = "https://app.example"

ACCESS = {"access_control": {
    "rules": [
        {"name": "block-admin", "action": "DENY", "path": {"prefix": "/ac/admin"}},
        {"name": "no-delete", "action": "DENY", "methods": ["DELETE"]},
        {"name": "evil-header", "action": "DENY", "headers": [{"name": "x-evil", "present": True}]},
        {"name": "loopback-private", "action": "DENY", "source_cidrs": ["127.0.0.0/8", "::1"],
         "path": {"safe_regex": "/ac/private/.*"}},
    ],
    "max_request_body_bytes": 1000,
    "max_request_headers_bytes": 4096,
}}


def rate_limit(tokens):
    return {"local_rate_limit": {"max_tokens": tokens, "fill_interval": "3600s"}}


def curl_h2(port, path, *args):
    """One HTTP/2 (prior knowledge) request with curl; returns (status, headers, body)."""
    out = subprocess.run(["curl", "-s", "-i", "--http2-prior-knowledge", "--max-time", str(harness.scaled(10))] + list(args) +
                         ["http://127.0.0.1:%d%s" % (port, path)], capture_output=True, check=False,
                         input=None if "-T" not in args else b"x" * 3000)
    text = out.stdout.decode("utf-8", "replace")
    head, _, body = text.partition("\r\n\r\n")
    lines = head.split("\r\n")
    m = re.match(r"HTTP/2 (\d+)", lines[0]) if lines else None
    if not m:
        raise AssertionError("curl failed (rc %d): %r %r" % (out.returncode, text, out.stderr))
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    return int(m.group(1)), headers, body


class FilterTest(harness.StraitTestCase):

    def setUp(self):
        super().setUp()
        up = self.start_upstream("backend")
        self.port = free_port()
        routes = [
            route("/ac/", "backend", filters=[ACCESS]),
            route("/rl/", "backend", filters=[rate_limit(3)]),
            route("/rlall/", "backend", filters=[rate_limit(40)]),
            route("/rlkey/", "backend", filters=[{"local_rate_limit": {
                "max_tokens": 2, "fill_interval": "3600s", "key": "HEADER", "key_header": "x-user"}}]),
            route("/", "backend"),
        ]
        gen = generation(self.port, {"*": routes}, {"backend": [up]})
        self.gen = gen
        gen["listeners"][0]["http_options"] = {"max_request_headers_bytes": 16384}
        gen["route_configs"][0]["virtual_hosts"][0]["filters"] = [
            {"cors": {"allow_origins": [ORIGIN], "allow_methods": ["GET", "PUT"], "allow_headers": ["x-token"],
                      "expose_headers": ["x-upstream-name"], "max_age_seconds": 600, "allow_credentials": True}}]
        self.config_dir = config_dir = self.make_config_dir()
        self.write_config(config_dir, "mesh.yaml", gen)
        self.admin = self.start_sidecar("web-1", "web", self.start_control(config_dir), workers=2)

    def stat(self, name):
        body = harness.http_get(self.admin, "/stats")[2]
        m = re.search(r"^%s (\d+)$" % re.escape(name), body, re.M)
        return int(m.group(1)) if m else 0

    # access_control

    def test_denied_by_path_method_header_and_cidr(self):
        cases = [("GET", "/ac/admin/x", {}, "block-admin"), ("DELETE", "/ac/a", {}, "no-delete"),
                 ("GET", "/ac/a", {"x-evil": "1"}, "evil-header"), ("GET", "/ac/private/p", {}, "loopback-private")]
        for method, path, headers, rule in cases:
            status, h, body = harness.http_request(self.port, path, method=method, headers=headers)
            self.assertEqual(status, 403, (path, body))
            self.assertEqual(body, "access denied by rule '%s'\n" % rule)
            self.assertEqual(h["x-strait-local-reply"], "access_denied:" + rule)
            self.assertNotIn("x-upstream-name", h)
            args = ["-X", method] + [a for k, v in headers.items() for a in ("-H", "%s: %s" % (k, v))]
            status, h, body = curl_h2(self.port, path, *args)
            self.assertEqual(status, 403, (path, body))
            self.assertIn(rule, body)
        status, h, _ = harness.http_get(self.port, "/ac/fine")
        self.assertEqual(status, 200)
        self.assertEqual(curl_h2(self.port, "/ac/public/p")[0], 200)
        self.assertEqual(self.stat('strait_access_denied_total{scope="main/vh0/#0"}'), 8)

    def test_body_too_large_by_length(self):
        status, h, body = harness.http_request(self.port, "/ac/up", method="POST", body="x" * 1001)
        self.assertEqual(status, 413, body)
        self.assertEqual(h["x-strait-local-reply"], "request_body_too_large")
        status, h, _ = harness.http_request(self.port, "/ac/up", method="POST", body="x" * 1000)
        self.assertEqual(status, 200)
        self.assertEqual(h["x-upstream-body-bytes"], "1000")
        status, _, _ = curl_h2(self.port, "/ac/up", "--data-binary", "x" * 1500)  # content-length 1500
        self.assertEqual(status, 413)

    def test_streamed_body_too_large(self):
        # HTTP/1.1 chunked: 10 chunks of 300 bytes, no length; the limit is passed on the 4th.
        with socket.create_connection(("127.0.0.1", self.port), timeout=harness.scaled(5)) as s:
            chunk = b"12c\r\n" + b"y" * 300 + b"\r\n"
            s.sendall(b"POST /ac/stream HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n" + chunk * 10 +
                      b"0\r\n\r\n")
            data = b""
            while b"\r\n\r\n" not in data:
                more = s.recv(4096)
                if not more:
                    break
                data += more
        self.assertTrue(data.startswith(b"HTTP/1.1 413"), data[:200])
        # HTTP/2 upload without a length (curl -T - from stdin).
        status, h, _ = curl_h2(self.port, "/ac/stream", "-T", "-")
        self.assertEqual(status, 413)
        self.assertGreaterEqual(self.stat('strait_request_body_too_large_total{scope="main/vh0/#0"}'), 2)

    def test_header_list_too_large(self):
        big = {"x-big": "b" * 5000}
        self.assertEqual(harness.http_get(self.port, "/ac/h", headers=big)[0], 431)
        self.assertEqual(curl_h2(self.port, "/ac/h", "-H", "x-big: " + "b" * 5000)[0], 431)
        self.assertEqual(curl_h2(self.port, "/ac/h", "-H", "x-small: s")[0], 200)
        self.assertEqual(self.stat('strait_request_headers_too_large_total{scope="main/vh0/#0"}'), 2)

    def test_listener_header_limit_is_431_for_http2_too(self):
        huge = "h" * 20000  # over the listener's 16384, on a route without filters
        self.assertEqual(harness.http_get(self.port, "/plain", headers={"x-huge": huge})[0], 431)
        status, h, _ = curl_h2(self.port, "/plain", "-H", "x-huge: " + huge)
        self.assertEqual(status, 431)
        self.assertEqual(h["x-strait-local-reply"], "request_headers_too_large")
        # With a body still to come: 431, the upload stopped, the connection still usable.
        status, _, _ = curl_h2(self.port, "/plain", "-H", "x-huge: " + huge, "-T", "-")
        self.assertEqual(status, 431)
        self.assertEqual(curl_h2(self.port, "/plain", "-H", "x-ok: " + "o" * 10000)[0], 200)

    # cors

    def test_cors_preflight_answered_by_the_sidecar(self):
        pre = {"origin": ORIGIN, "access-control-request-method": "PUT"}
        status, h, _ = harness.http_request(self.port, "/anything", method="OPTIONS", headers=pre)
        self.assertEqual(status, 204)
        self.assertNotIn("x-upstream-name", h)  # never reached the upstream
        self.assertEqual(h["access-control-allow-origin"], ORIGIN)
        self.assertEqual(h["access-control-allow-methods"], "GET, PUT")
        self.assertEqual(h["access-control-allow-headers"], "x-token")
        self.assertEqual(h["access-control-max-age"], "600")
        self.assertEqual(h["access-control-allow-credentials"], "true")
        self.assertEqual(h["vary"], "origin")
        status, h, _ = curl_h2(self.port, "/anything", "-X", "OPTIONS", "-H", "origin: " + ORIGIN,
                               "-H", "access-control-request-method: PUT")
        self.assertEqual(status, 204)
        self.assertEqual(h["access-control-allow-origin"], ORIGIN)
        self.assertNotIn("x-upstream-name", h)
        # From an origin not allowed: passed to the upstream, no CORS headers.
        status, h, _ = harness.http_request(self.port, "/anything", method="OPTIONS",
                                            headers={"origin": "https://evil.example",
                                                     "access-control-request-method": "PUT"})
        self.assertEqual(h.get("x-upstream-name"), "backend")
        self.assertNotIn("access-control-allow-origin", h)

    def test_cors_headers_on_actual_responses(self):
        status, h, _ = harness.http_get(self.port, "/page", headers={"origin": ORIGIN})
        self.assertEqual(status, 200)
        self.assertEqual(h["access-control-allow-origin"], ORIGIN)
        self.assertEqual(h["access-control-allow-credentials"], "true")
        self.assertEqual(h["access-control-expose-headers"], "x-upstream-name")
        self.assertIn("origin", h["vary"])
        status, h, _ = curl_h2(self.port, "/page", "-H", "origin: " + ORIGIN)
        self.assertEqual(h["access-control-allow-origin"], ORIGIN)
        status, h, _ = harness.http_get(self.port, "/page", headers={"origin": "https://evil.example"})
        self.assertNotIn("access-control-allow-origin", h)
        self.assertIn("origin", h["vary"])
        status, h, _ = harness.http_get(self.port, "/page")
        self.assertNotIn("access-control-allow-origin", h)

    # local_rate_limit

    def test_rate_limit_429_with_retry_after(self):
        statuses = [harness.http_get(self.port, "/rl/a")[0] for _ in range(2)]
        statuses.append(curl_h2(self.port, "/rl/b")[0])
        self.assertEqual(statuses, [200, 200, 200])
        status, h, body = harness.http_get(self.port, "/rl/a")
        self.assertEqual(status, 429)
        self.assertIn("rate limited", body)
        self.assertTrue(1 <= int(h["retry-after"]) <= 3600, h)
        status, h, _ = curl_h2(self.port, "/rl/b")
        self.assertEqual(status, 429)
        self.assertGreaterEqual(int(h["retry-after"]), 1)
        self.assertEqual(harness.http_get(self.port, "/other")[0], 200)  # other routes unaffected
        self.assertEqual(self.stat('strait_rate_limit_allowed_total{scope="main/vh0/#1"}'), 3)
        self.assertEqual(self.stat('strait_rate_limit_limited_total{scope="main/vh0/#1"}'), 2)

    def test_rate_limit_keyed_by_header(self):
        for user in ("alice", "bob"):
            statuses = [harness.http_get(self.port, "/rlkey/x", headers={"x-user": user})[0] for _ in range(3)]
            self.assertEqual(statuses, [200, 200, 429], user)
        statuses = [harness.http_get(self.port, "/rlkey/x")[0] for _ in range(3)]  # no header: a bucket too
        self.assertEqual(statuses, [200, 200, 429])

    def apply(self, gen):
        """Writes `gen` and waits until the sidecar has applied one more generation."""
        applied = self.stat("strait_config_applied_total")
        self.write_config(self.config_dir, "mesh.yaml", gen)
        harness.wait_until(lambda: self.stat("strait_config_applied_total") > applied, 10,
                           message="new generation applied")

    def test_rate_limit_state_survives_a_new_generation(self):
        statuses = [harness.http_get(self.port, "/rl/a")[0] for _ in range(4)]
        self.assertEqual(statuses, [200, 200, 200, 429])
        # An unrelated change: the same bucket, still empty.
        self.gen["route_configs"][0]["virtual_hosts"][0]["routes"][-1]["response_headers_to_add"] = [
            harness.header("x-gen", "2")]
        self.apply(self.gen)
        harness.wait_until(lambda: harness.http_get(self.port, "/other")[1].get("x-gen") == "2", 10,
                           message="generation 2 serving")
        self.assertEqual(harness.http_get(self.port, "/rl/a")[0], 429)
        # Changed settings: a new, full bucket.
        self.gen["route_configs"][0]["virtual_hosts"][0]["routes"][1]["filters"] = [rate_limit(1)]
        self.apply(self.gen)
        self.assertEqual(harness.http_get(self.port, "/rl/a")[0], 200)
        self.assertEqual(harness.http_get(self.port, "/rl/a")[0], 429)

    def test_rate_limit_holds_across_all_workers(self):
        # 200 requests, each on its own connection, 16 at a time: the connections spread over
        # both workers, yet exactly the bucket's 40 tokens are handed out.
        def one(i):
            if i % 4 == 0:
                return curl_h2(self.port, "/rlall/%d" % i)[0]
            return harness.http_get(self.port, "/rlall/%d" % i)[0]
        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            statuses = list(pool.map(one, range(200)))
        self.assertEqual(statuses.count(200), 40, statuses)
        self.assertEqual(statuses.count(429), 160)
        self.assertEqual(self.stat('strait_rate_limit_allowed_total{scope="main/vh0/#2"}'), 40)
        self.assertEqual(self.stat('strait_rate_limit_limited_total{scope="main/vh0/#2"}'), 160)


if __name__ == "__main__":
    harness.main()
