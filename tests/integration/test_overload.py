#!/usr/bin/env python3
"""The overload manager and the per-client connection limit, with real clients:
- active_requests over its high watermark: new HTTP/1.1 requests get 503 (overloaded) with
  `connection: close`, a new HTTP/2 stream gets 503 and its connection GOAWAY; once the
  requests in flight end (below the low watermark) requests are served again;
- downstream_connections over its watermark: new connections are closed at accept, and
  accepted again once connections close;
- memory over its watermark: new connections are refused; /ready stays 200 and says so;
- max_connections_per_client: a client address past its limit has its new connections
  closed while another address is served, and gets one again when it closes one.
Each is visible in /stats (and the overload state in /ready's body)."""

import os
import re
import socket
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import h2frames as h2  # noqa: E402
import harness  # noqa: E402
from harness import free_port, generation, route  # noqa: E402


class OverloadTest(harness.StraitTestCase):

    def start(self, overload=None, http_options=None):
        upstream = self.start_upstream("backend", threads=4)
        self.port = free_port()
        gen = generation(self.port, {"*": [route("/", "backend", timeout="120s")]}, {"backend": [upstream]})
        if http_options:
            gen["listeners"][0]["http_options"] = http_options
        config_dir = self.make_config_dir()
        self.write_config(config_dir, "mesh.yaml", gen)
        extra = "overload_manager: %s\n" % overload if overload else ""
        self.admin = self.start_sidecar("web-1", "web", self.start_control(config_dir), extra_bootstrap=extra)

    def stats(self):
        return harness.http_get(self.admin, "/stats")[2]

    def stat(self, name):
        m = re.search(r"^%s (\d+)$" % re.escape(name), self.stats(), re.M)
        return int(m.group(1)) if m else 0

    def wait_overload(self, resource, active):
        harness.wait_until(lambda: self.stat('strait_overload_active{resource="%s"}' % resource) == active,
                           20, message="%s overload %d" % (resource, active))

    def curl(self, *args, source=None):
        cmd = ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", str(harness.scaled(20))]
        if source:
            cmd += ["--interface", source]
        return subprocess.run(cmd + list(args) + ["http://127.0.0.1:%d/ok" % self.port],
                              capture_output=True, text=True)

    def hold_request(self, source="127.0.0.1"):
        """A connection with one request in flight (the upstream answers after 2 minutes)."""
        sock = socket.socket()
        sock.bind((source, 0))
        sock.settimeout(harness.scaled(20))
        sock.connect(("127.0.0.1", self.port))
        self.addCleanup(sock.close)
        sock.sendall(b"GET /slow?delay_ms=120000 HTTP/1.1\r\nHost: a\r\n\r\n")
        return sock

    def test_active_requests_watermark(self):
        self.start("{active_requests: {high: 2, low: 1}, refresh_interval: 0.02s}")
        held = [self.hold_request() for _ in range(2)]
        self.wait_overload("active_requests", 1)
        status, headers, _ = harness.http_get(self.port, "/ok")
        self.assertEqual(status, 503)
        self.assertEqual(headers.get("x-strait-local-reply"), "overloaded")
        self.assertEqual(headers.get("connection"), "close")
        # HTTP/2: 503 on the stream, GOAWAY on the connection.
        conn = h2.RawH2(self.port)
        self.addCleanup(conn.close)
        conn.send(h2.frame(h2.HEADERS, h2.END_HEADERS | h2.END_STREAM, 1, h2.request_block("/ok")))
        frames = conn.read_frames_until_closed(deadline_s=20)
        body = b"".join(p for t, _, sid, p in frames if t == h2.DATA and sid == 1)
        self.assertEqual(body, b"Service Unavailable\n")
        self.assertIn(h2.GOAWAY, [t for t, _, _, _ in frames])
        self.assertIn("overloaded: active_requests", harness.http_get(self.admin, "/ready")[2])
        self.assertGreaterEqual(self.stat('strait_overload_refused_total{what="request"}'), 2)
        # The requests in flight end (their clients go away): below the low watermark again.
        for s in held:
            s.close()
        self.wait_overload("active_requests", 0)
        self.assertEqual(self.curl().stdout, "200")
        self.assertEqual(harness.http_get(self.admin, "/ready")[2], "LIVE\n")

    def test_connections_watermark(self):
        self.start("{downstream_connections: {high: 3, low: 2}, refresh_interval: 0.02s}")
        held = [self.hold_request() for _ in range(3)]
        self.wait_overload("downstream_connections", 1)
        r = self.curl()
        self.assertNotEqual(r.stdout, "200", "a connection was accepted while overloaded")
        self.assertGreaterEqual(self.stat('strait_overload_refused_total{what="connection"}'), 1)
        held[0].close()
        held[1].close()
        self.wait_overload("downstream_connections", 0)
        self.assertEqual(self.curl().stdout, "200")

    def test_memory_watermark(self):
        self.start("{memory_bytes: {high: 1}, refresh_interval: 0.02s}")  # always over
        self.wait_overload("memory_bytes", 1)
        self.assertNotEqual(self.curl().stdout, "200")
        # A real reading (jemalloc's stats.allocated; under 1 MiB for an idle sidecar).
        self.assertGreater(self.stat('strait_overload_value{resource="memory_bytes"}'), 64 << 10)
        self.assertGreaterEqual(self.stat('strait_overload_refused_total{what="connection"}'), 1)
        status, _, body = harness.http_get(self.admin, "/ready")
        self.assertEqual((status, body), (200, "LIVE (overloaded: memory_bytes)\n"))

    def test_connections_per_client(self):
        self.start(http_options={"max_connections_per_client": 2})
        held = [self.hold_request() for _ in range(2)]
        harness.wait_until(lambda: self.stat("strait_downstream_rq_active") == 2, 20, message="2 requests held")
        r = self.curl()
        self.assertNotEqual(r.stdout, "200", "a third connection from 127.0.0.1 was served")
        self.assertEqual(self.stat("strait_downstream_cx_client_limit_total"), 1)
        self.assertEqual(self.curl(source="127.0.0.2").stdout, "200")  # another client address
        held[0].close()
        harness.wait_until(lambda: self.curl().stdout == "200", 20, message="a connection once one closed")


if __name__ == "__main__":
    harness.main()
