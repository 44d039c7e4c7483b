#!/usr/bin/env python3
"""Slow-header clients (slowloris): connections that send a request head a byte at a time
are answered 408 and closed once the listener's request_headers_timeout has passed since
their first byte, and counted, while a well-behaved client on the same listener is served;
a connection that trickles a partial HTTP/2 preface is closed the same way. (A head that
arrives in pieces within the timeout is served: tests/unit/sidecar/session.)"""

import os
import re
import socket
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import free_port, generation, route  # noqa: E402

SLOW_CLIENTS = 200
TIMEOUT_S = harness.scaled(2.0)  # the listener's request_headers_timeout in this test (longer under sanitizers)


class SlowClient:
    """Sends `prefix`, then one more byte every `gap` seconds until the server closes;
    records what the server sent."""

    def __init__(self, port, prefix, gap=0.2):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=harness.scaled(30))
        self.prefix, self.gap, self.received, self.closed = prefix, gap, b"", False
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        try:
            self.sock.sendall(self.prefix)
            self.sock.settimeout(self.gap)
            deadline = time.monotonic() + harness.scaled(30)  # bounds a hang only
            while time.monotonic() < deadline:
                try:
                    chunk = self.sock.recv(4096)
                    if not chunk:
                        self.closed = True
                        return
                    self.received += chunk
                except socket.timeout:
                    self.sock.sendall(b"x")  # one more byte of a header that never ends
        except OSError:
            self.closed = True  # reset by the server: closed as well
        finally:
            self.sock.close()


class SlowClientsTest(harness.StraitTestCase):

    def setUp(self):
        super().setUp()
        upstream = self.start_upstream("backend")
        self.port = free_port()
        gen = generation(self.port, {"*": [route("/", "backend")]}, {"backend": [upstream]})
        gen["listeners"][0]["http_options"] = {"request_headers_timeout": "%gs" % TIMEOUT_S}
        config_dir = self.make_config_dir()
        self.write_config(config_dir, "mesh.yaml", gen)
        self.admin = self.start_sidecar("web-1", "web", self.start_control(config_dir), workers=2)

    def stat(self, name):
        m = re.search(r"^%s (\d+)$" % name, harness.http_get(self.admin, "/stats")[2], re.M)
        return int(m.group(1)) if m else 0

    def test_slow_heads_get_408_and_the_connection_closes(self):
        clients = [SlowClient(self.port, b"GET / HTTP/1.1\r\nHost: a\r\nX-Slow: ") for _ in range(SLOW_CLIENTS)]
        for c in clients:
            c.thread.start()
        # Meanwhile a well-behaved client is served.
        r = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--max-time",
                            str(harness.scaled(20)), "http://127.0.0.1:%d/ok" % self.port],
                           capture_output=True, text=True)
        self.assertEqual(r.stdout, "200", r.stderr)
        for c in clients:
            c.thread.join(harness.scaled(40))
        self.assertEqual(sum(c.closed for c in clients), SLOW_CLIENTS, "slow connections still open")
        answered = [c for c in clients if c.received.startswith(b"HTTP/1.1 408")]
        self.assertEqual(len(answered), SLOW_CLIENTS)
        self.assertIn(b"x-strait-local-reply: request_header_timeout", answered[0].received.lower())
        self.assertGreaterEqual(self.stat("strait_downstream_rq_header_timeout_total"), SLOW_CLIENTS)

    def test_partial_h2_preface_is_closed(self):
        c = SlowClient(self.port, b"PRI * HTTP/2.0\r\n")  # then "x": never a preface
        c.thread.start()
        c.thread.join(harness.scaled(40))
        self.assertTrue(c.closed)


if __name__ == "__main__":
    harness.main()
