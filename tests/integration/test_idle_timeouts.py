#!/usr/bin/env python3
"""Idle timeouts: a downstream keep-alive connection idle past the listener's idle_timeout is
closed, but never while a request is in flight; pooled upstream connections idle past the
cluster's idle_timeout are closed."""

import os
import re
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import free_port, generation, route, wait_until  # noqa: E402


class IdleTimeoutTest(harness.StraitTestCase):

    def setUp(self):
        super().setUp()
        upstream = self.start_upstream("backend")
        self.port = free_port()
        gen = generation(self.port, {"*": [route("/", "backend")]}, {"backend": [upstream]})
        gen["listeners"][0]["http_options"] = {"idle_timeout": "1s"}
        # 3 s for pooled upstream connections: the gauge must still see the one just used
        # (read right after the request) on a slow, busy machine.
        gen["clusters"][0]["idle_timeout"] = "3s"
        config_dir = self.make_config_dir()
        self.write_config(config_dir, "mesh.yaml", gen)
        self.admin = self.start_sidecar("web-1", "web", self.start_control(config_dir), workers=1)

    def request(self, sock, path):
        sock.sendall(("GET %s HTTP/1.1\r\nHost: a\r\n\r\n" % path).encode())
        data = b""
        while b"\r\n\r\n" not in data:
            data += sock.recv(65536)
        length = int(re.search(rb"content-length: (\d+)", data, re.I).group(1))
        body = data.split(b"\r\n\r\n", 1)[1]
        while len(body) < length:
            body += sock.recv(65536)
        return data.split(b"\r\n", 1)[0]

    def closed_by_peer(self, sock):
        sock.settimeout(0.05)
        try:
            return sock.recv(1) == b""
        except socket.timeout:
            return False

    def gauge(self, name):
        body = harness.http_get(self.admin, "/stats")[2]
        return int(re.search(r"^%s (\d+)$" % name, body, re.M).group(1))

    def test_idle_downstream_connection_is_closed(self):
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=harness.scaled(5))
        self.addCleanup(sock.close)
        start = time.monotonic()
        self.assertIn(b"200", self.request(sock, "/one"))
        wait_until(lambda: self.closed_by_peer(sock), 5, message="idle connection closed")
        self.assertGreaterEqual(time.monotonic() - start, 0.9)

    def test_request_in_flight_is_not_cut_by_idle_timeout(self):
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=harness.scaled(10))
        self.addCleanup(sock.close)
        self.assertIn(b"200", self.request(sock, "/slow?delay_ms=2500"))  # longer than idle_timeout

    def test_idle_upstream_connection_is_closed(self):
        self.assertEqual(harness.http_get(self.port, "/warm")[0], 200)
        self.assertEqual(self.gauge("strait_upstream_cx_active"), 1)
        wait_until(lambda: self.gauge("strait_upstream_cx_active") == 0, 10, message="pooled connection expired")


if __name__ == "__main__":
    harness.main()
