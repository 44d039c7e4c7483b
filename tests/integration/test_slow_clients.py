#!/usr/bin/env python3
"""Slow clients, each cut off while a well-behaved client on the same listener is served:
- slow heads (slowloris): connections that send a request head a byte at a time are answered
  408 and closed once the listener's request_headers_timeout has passed since their first
  byte; a connection that trickles a partial HTTP/2 preface is closed the same way (a head
  that arrives in pieces within the timeout is served: tests/unit/sidecar/session);
- slow bodies: an upload slower than request_body_min_rate gets 408 (HTTP/1.1), or 408 on
  its stream and GOAWAY (HTTP/2);
- clients that stop reading: a response nobody takes (the socket full, or HTTP/2 flow-control
  windows never opened) ends the connection after send_timeout without progress.
Each is counted in /stats."""

import os
import re
import socket
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import h2frames as h2  # noqa: E402
import harness  # noqa: E402
from harness import free_port, generation, route  # noqa: E402

SLOW_CLIENTS = 200
TIMEOUT_S = harness.scaled(2.0)  # the listener's request_headers_timeout in this test (longer under sanitizers)
SEND_TIMEOUT_S = harness.scaled(1.0)
BODY_WINDOW_S = harness.scaled(1.0)
MIN_RATE = 1000  # request body bytes per second
BIG = 32 << 20  # a response larger than any socket buffers on the way
UPLOAD = 100000


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
        big = self.start_upstream("big", size=BIG)
        self.port = free_port()
        gen = generation(self.port, {"*": [route("/big/", "big"), route("/", "backend")]},
                         {"backend": [upstream], "big": [big]})
        gen["listeners"][0]["http_options"] = {
            "request_headers_timeout": "%gs" % TIMEOUT_S, "send_timeout": "%gs" % SEND_TIMEOUT_S,
            "request_body_min_rate": {"bytes_per_second": MIN_RATE, "window": "%gs" % BODY_WINDOW_S}}
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

    def assert_served(self, *curl_args):
        r = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--max-time",
                            str(harness.scaled(20))] + list(curl_args), capture_output=True, text=True)
        self.assertEqual(r.stdout, "200", r.stderr)

    def test_slow_bodies_get_408_and_the_connection_closes(self):
        head = b"POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: %d\r\n\r\n" % UPLOAD
        clients = [SlowClient(self.port, head + b"x" * 10) for _ in range(20)]  # then 5 bytes/s
        for c in clients:
            c.thread.start()
        # An upload at full speed on another connection is served meanwhile.
        upload = os.path.join(self.tmp, "upload.bin")
        with open(upload, "wb") as f:
            f.write(b"u" * UPLOAD)
        self.assert_served("--data-binary", "@" + upload, "http://127.0.0.1:%d/up" % self.port)
        for c in clients:
            c.thread.join(harness.scaled(40))
        self.assertEqual(sum(c.closed for c in clients), len(clients), "slow uploads still open")
        for c in clients:
            self.assertTrue(c.received.startswith(b"HTTP/1.1 408"), c.received[:200])
            self.assertIn(b"x-strait-local-reply: request_body_timeout", c.received.lower())
        self.assertGreaterEqual(self.stat("strait_downstream_rq_body_timeout_total"), len(clients))

    def test_slow_h2_body_gets_408_on_its_stream_and_goaway(self):
        conn = h2.RawH2(self.port)
        self.addCleanup(conn.close)
        block = b"\x83\x86" + h2.literal(":path", "/up") + h2.literal(":authority", "localhost") + \
            h2.literal("content-length", str(UPLOAD))  # :method POST, :scheme http
        conn.send(h2.frame(h2.HEADERS, h2.END_HEADERS, 1, block) + h2.frame(h2.DATA, 0, 1, b"x" * 10))
        # ... and nothing more: a window passes without its 1000 bytes.
        frames = conn.read_frames_until_closed(deadline_s=harness.scaled(20))
        body = b"".join(payload for ftype, _, sid, payload in frames if ftype == h2.DATA and sid == 1)
        self.assertEqual(body, b"Request Timeout\n")
        goaways = [int.from_bytes(payload[4:8], "big") for ftype, _, _, payload in frames if ftype == h2.GOAWAY]
        self.assertEqual(goaways, [0])  # NO_ERROR: drained, not an error
        self.assert_served("--http2-prior-knowledge", "http://127.0.0.1:%d/ok" % self.port)
        self.assertGreaterEqual(self.stat("strait_downstream_rq_body_timeout_total"), 1)

    def drain_until_closed(self, sock):
        """Reads (and drops) what the server sends until it closes; returns the byte count."""
        total = 0
        sock.settimeout(harness.scaled(20))
        try:
            while True:
                chunk = sock.recv(1 << 20)
                if not chunk:
                    return total
                total += len(chunk)
        except ConnectionResetError:
            return total

    def test_a_client_that_stops_reading_is_cut_off(self):
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=harness.scaled(20))
        self.addCleanup(sock.close)
        sock.sendall(b"GET /big/ HTTP/1.1\r\nHost: a\r\n\r\n")  # and never reads
        harness.wait_until(lambda: self.stat("strait_downstream_cx_send_timeout_total") >= 1, harness.scaled(30),
                           message="the connection closed for send_timeout")
        self.assert_served("http://127.0.0.1:%d/ok" % self.port)
        self.assertLess(self.drain_until_closed(sock), BIG, "the whole response arrived")

    def test_an_h2_client_that_never_opens_its_windows_is_cut_off(self):
        # The client reads its socket (so the socket is not what fills up) but never sends
        # WINDOW_UPDATE: ten 32 MiB responses queue for its windows past the connection's
        # bound (4 MiB), and with nothing taken for send_timeout the connection is closed.
        conn = h2.RawH2(self.port)
        self.addCleanup(conn.close)
        conn.send(b"".join(h2.frame(h2.HEADERS, h2.END_HEADERS | h2.END_STREAM, 1 + 2 * i, h2.request_block("/big/%d" % i))
                           for i in range(10)))
        received = self.drain_until_closed(conn.sock)
        self.assertLess(received, 1 << 20)  # the initial windows' worth, and frames
        self.assertGreaterEqual(self.stat("strait_downstream_cx_send_timeout_total"), 1)
        self.assertGreaterEqual(self.stat("strait_downstream_h2_connection_buffer_full_total"), 1)
        self.assert_served("--http2-prior-knowledge", "http://127.0.0.1:%d/ok" % self.port)

    def test_partial_h2_preface_is_closed(self):
        c = SlowClient(self.port, b"PRI * HTTP/2.0\r\n")  # then "x": never a preface
        c.thread.start()
        c.thread.join(harness.scaled(40))
        self.assertTrue(c.closed)


if __name__ == "__main__":
    harness.main()
