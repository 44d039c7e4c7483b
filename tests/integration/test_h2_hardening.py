#!/usr/bin/env python3
"""HTTP/2 abuse ends the offending connection with GOAWAY and is counted, while another
client on the same listener keeps being served: rapid reset (CVE-2023-44487),
CONTINUATION flood, PING and SETTINGS floods (over cleartext and over TLS alike), floods of
frames that do no work (empty DATA, PRIORITY, WINDOW_UPDATE), and a client whose request
heads keep being refused (too large, or malformed). The listener's limits are set low
(http_options) so that each abuse is short."""

import os
import re
import ssl
import subprocess
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import h2frames as h2  # noqa: E402
import harness  # noqa: E402
from harness import free_port, generation, route  # noqa: E402
from test_tls import Pki, secret  # noqa: E402

LIMITS = {"max_request_headers_bytes": 8192, "http2_max_refused_header_blocks": 5,
          "http2_max_control_frames": 200, "http2_max_connection_buffer_bytes": 1 << 20}
BIG = 1 << 20  # body bytes of the /big/ route's responses
NOT_READING_STREAMS = 40


def rss_bytes(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS for %d" % pid)


class H2HardeningTest(harness.StraitTestCase):

    def setUp(self):
        super().setUp()
        # Under ASan freed memory sits in a quarantine that RSS would count; the buffering test
        # measures RSS, so the quarantine is off for the processes started here.
        asan = os.environ.get("ASAN_OPTIONS", "")
        os.environ["ASAN_OPTIONS"] = (asan + ":" if asan else "") + \
            "quarantine_size_mb=0:thread_local_quarantine_size_kb=0"
        self.addCleanup(os.environ.__setitem__, "ASAN_OPTIONS", asan)
        upstream = self.start_upstream("backend")
        big = self.start_upstream("big", size=BIG)
        self.port = free_port()
        gen = generation(self.port, {"*": [route("/big/", "big"), route("/bigt/", "big", timeout="1s"),
                                           route("/", "backend")]},
                         {"backend": [upstream], "big": [big]})
        gen["listeners"][0]["http_options"] = dict(LIMITS)
        # The same listener over TLS (h2 by ALPN), with a certificate of a throw-away CA.
        pki = Pki(self.tmp)
        cert, key = pki.leaf("h2.test", ["DNS:h2.test"])
        self.tls_port = free_port()
        tls_listener = dict(gen["listeners"][0], name="tls", port=self.tls_port,
                            tls={"certificates": [{"secret": "cert"}]})
        gen["listeners"].append(tls_listener)
        gen["secrets"] = [secret("cert", cert, key)]
        self.tls = ssl.create_default_context(cafile=os.path.join(self.tmp, "ca.pem"))
        self.tls.set_alpn_protocols(["h2"])
        config_dir = self.make_config_dir()
        self.write_config(config_dir, "mesh.yaml", gen)
        self.admin = self.start_sidecar("web-1", "web", self.start_control(config_dir), workers=1)

    def stat(self, name):
        _, _, body = harness.http_get(self.admin, "/stats")
        m = re.search(r"^%s (\d+)$" % name, body, re.M)
        return int(m.group(1)) if m else 0

    def assert_other_client_served(self):
        r = subprocess.run(["curl", "-sS", "--http2-prior-knowledge", "-o", "/dev/null", "-w", "%{http_code}",
                            "http://127.0.0.1:%d/ok" % self.port], capture_output=True, text=True, timeout=harness.scaled(20))
        self.assertEqual(r.stdout, "200", r.stderr)

    def abuse(self, payloads, tls=False):
        """Sends the payloads on one connection (while a well-behaved client works in
        parallel) and returns the GOAWAY code the server answered with."""
        conn = h2.RawH2(self.tls_port, tls=self.tls, server_name="h2.test") if tls else h2.RawH2(self.port)
        self.addCleanup(conn.close)
        if tls:
            # An SSL socket must not be read and written from two threads at once (one OpenSSL
            # object): send everything, then read. The payloads fit in the socket buffers.
            for p in payloads:
                if not conn.send(p):
                    break
            code = conn.read_until_goaway()
            self.assert_other_client_served()
            return code
        result = {}
        reader = threading.Thread(target=lambda: result.update(code=conn.read_until_goaway()))
        reader.start()
        for p in payloads:
            if not conn.send(p):
                break
        self.assert_other_client_served()
        reader.join(harness.scaled(15))
        return result.get("code")

    def test_rapid_reset(self):
        frames = []
        for i in range(1000):
            sid = 1 + 2 * i
            frames.append(h2.frame(h2.HEADERS, h2.END_HEADERS | h2.END_STREAM, sid, h2.request_block("/r")) +
                          h2.frame(h2.RST_STREAM, 0, sid, (h2.CANCEL).to_bytes(4, "big")))
        code = self.abuse([b"".join(frames[i:i + 50]) for i in range(0, len(frames), 50)])
        self.assertEqual(code, h2.ENHANCE_YOUR_CALM)
        harness.wait_until(lambda: self.stat("strait_downstream_h2_flood_total") >= 1, 5)

    def test_continuation_flood(self):
        head = h2.frame(h2.HEADERS, 0, 1, h2.request_block("/c"))
        cont = h2.frame(h2.CONTINUATION, 0, 1, h2.literal("x-flood", "a" * 100))
        code = self.abuse([head] + [cont * 20] * 50)
        # nghttp2 refuses the frames itself with PROTOCOL_ERROR; either way it is a GOAWAY.
        self.assertIn(code, (h2.ENHANCE_YOUR_CALM, 0x1))
        harness.wait_until(lambda: self.stat("strait_downstream_h2_flood_total") >= 1, 5)

    def test_ping_flood(self):
        ping = h2.frame(h2.PING, 0, 0, b"12345678")
        # The server queues an ACK per PING it reads and writes them only after the read
        # event: 10,000 PINGs in one write arrive in reads of thousands, over the queue's
        # limit of 1,000. (Written in 20 small pieces, an idle server could read each piece
        # on its own and drain its ACKs in between: no flood seen, the test timed out.)
        code = self.abuse([ping * 10000])
        self.assertEqual(code, h2.ENHANCE_YOUR_CALM)

    def test_settings_flood(self):
        settings = h2.frame(h2.SETTINGS, 0, 0, b"\x00\x03\x00\x00\x00\x64")  # MAX_CONCURRENT_STREAMS=100
        code = self.abuse([settings * 10000])  # one write, as for the PING flood
        self.assertEqual(code, h2.ENHANCE_YOUR_CALM)

    def test_ping_and_settings_floods_over_tls(self):
        # One implementation whatever the transport: the frame budget, not the ACK queue.
        before = self.stat("strait_downstream_h2_flood_total")
        self.assertEqual(self.abuse([h2.frame(h2.PING, 0, 0, b"12345678") * 1000], tls=True), h2.ENHANCE_YOUR_CALM)
        settings = h2.frame(h2.SETTINGS, 0, 0, b"\x00\x03\x00\x00\x00\x64")
        self.assertEqual(self.abuse([settings * 1000], tls=True), h2.ENHANCE_YOUR_CALM)
        harness.wait_until(lambda: self.stat("strait_downstream_h2_flood_total") >= before + 2, 5)

    def test_frames_that_do_no_work(self):
        opened = h2.frame(h2.HEADERS, h2.END_HEADERS, 1, h2.request_block("/upload"))  # a body is coming
        empty_data = h2.frame(h2.DATA, 0, 1, b"")
        self.assertEqual(self.abuse([opened + empty_data * 500]), h2.ENHANCE_YOUR_CALM)
        # ... also on a stream that is closed already (nghttp2 ignores those frames itself).
        closed = opened + h2.frame(h2.RST_STREAM, 0, 1, (h2.CANCEL).to_bytes(4, "big"))
        self.assertEqual(self.abuse([closed + empty_data * 500]), h2.ENHANCE_YOUR_CALM)
        priority = h2.frame(h2.PRIORITY, 0, 3, b"\x00\x00\x00\x01\x10")  # stream 3 depends on 1
        self.assertEqual(self.abuse([priority * 500]), h2.ENHANCE_YOUR_CALM)
        window_update = h2.frame(h2.WINDOW_UPDATE, 0, 0, b"\x00\x00\x00\x01")
        self.assertEqual(self.abuse([window_update * 500]), h2.ENHANCE_YOUR_CALM)
        # Within the budget nothing happens: a connection that sends a few of each is served.
        conn = h2.RawH2(self.port)
        self.addCleanup(conn.close)
        conn.send(h2.frame(h2.PING, 0, 0, b"12345678") * 5 + priority * 5 + window_update * 5 +
                  h2.frame(h2.HEADERS, h2.END_HEADERS | h2.END_STREAM, 1, h2.request_block("/fine")))
        headers, _ = conn.read_stream(1)
        self.assertEqual(headers[:1], b"\x88")  # :status 200 (HPACK static index 8)

    def test_refused_header_blocks_end_the_connection(self):
        # Each head decodes past max_request_headers_bytes (8 KiB) but stays under twice it
        # (not a flood by size): answered 431 one by one, then the connection is closed.
        big = h2.literal("x-big", "a" * 10000)
        heads = [h2.frame(h2.HEADERS, h2.END_HEADERS | h2.END_STREAM, 1 + 2 * i, h2.request_block("/h", extra=big))
                 for i in range(20)]
        self.assertEqual(self.abuse([b"".join(heads)]), h2.ENHANCE_YOUR_CALM)
        # Malformed heads (an upper-case field name: a stream error, RFC 9113 8.2.1) count too.
        bad = h2.literal("X-Upper", "1")
        heads = [h2.frame(h2.HEADERS, h2.END_HEADERS | h2.END_STREAM, 1 + 2 * i, h2.request_block("/m", extra=bad))
                 for i in range(20)]
        self.assertEqual(self.abuse([b"".join(heads)]), h2.ENHANCE_YOUR_CALM)

    def test_a_client_that_does_not_read_holds_a_bounded_buffer(self):
        # 40 streams of 1 MiB responses, never read (no WINDOW_UPDATE, nothing taken from the
        # socket): without a bound across streams the sidecar would queue ~1 MiB per stream.
        sidecar = [p for p in self.procs if p.name.startswith("sidecar-")][0]
        before = rss_bytes(sidecar.pid)
        conn = h2.RawH2(self.port)
        self.addCleanup(conn.close)
        conn.send(b"".join(h2.frame(h2.HEADERS, h2.END_HEADERS | h2.END_STREAM, 1 + 2 * i, h2.request_block("/big/%d" % i))
                           for i in range(NOT_READING_STREAMS)))
        harness.wait_until(lambda: self.stat("strait_downstream_h2_connection_buffer_full_total") >= 1, 20,
                           message="the connection's buffer bound reached")
        self.assert_other_client_served()
        grown = rss_bytes(sidecar.pid) - before
        self.assertLess(grown, 16 << 20, "the sidecar grew by %d bytes for a client that does not read" % grown)

    def test_a_client_that_does_not_read_does_not_hold_the_cluster(self):
        # The paused streams end at the route's timeout (1 s on /bigt/, 15 s by default); the
        # ones answered 504 while the single-threaded upstream was busy wait for the client
        # too. Either way the cluster's active requests are released (a client that never
        # reads must not use up its circuit breaker).
        conn = h2.RawH2(self.port)
        self.addCleanup(conn.close)
        conn.send(b"".join(h2.frame(h2.HEADERS, h2.END_HEADERS | h2.END_STREAM, 1 + 2 * i,
                                    h2.request_block("/bigt/%d" % i)) for i in range(NOT_READING_STREAMS)))
        harness.wait_until(lambda: self.stat("strait_upstream_rq_timeout_total") >= 1, 30, message="a timeout")
        harness.wait_until(lambda: re.search(r'^strait_cluster_rq_active\{cluster="big"\} 0$',
                                             harness.http_get(self.admin, "/stats")[2], re.M), 30,
                           message="no request of the client that does not read counted active")
        self.assert_other_client_served()

    def test_protocol_error_gets_goaway_protocol_error(self):
        # DATA on stream 0 is a connection error of type PROTOCOL_ERROR (RFC 9113 6.1).
        code = self.abuse([h2.frame(h2.DATA, 0, 0, b"x")])
        self.assertEqual(code, 0x1)
        harness.wait_until(lambda: self.stat("strait_downstream_h2_protocol_error_total") >= 1, 5)


if __name__ == "__main__":
    harness.main()
