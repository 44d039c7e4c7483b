#!/usr/bin/env python3
"""Expect: 100-continue and request trailers (the HTTP/2 issue, translation point): the
sidecar answers 100 Continue itself (HTTP/1.1 and HTTP/2 clients) and forwards the body
without the expectation; request trailers from an HTTP/2 client reach an HTTP/1.1
upstream as chunked trailers."""

import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import h2frames  # noqa: E402
import harness  # noqa: E402
from h2frames import DATA, END_HEADERS, END_STREAM, HEADERS, frame, literal  # noqa: E402
from harness import free_port, generation, route  # noqa: E402


class ExpectAndTrailersTest(harness.StraitTestCase):

    def setUp(self):
        super().setUp()
        upstream = self.start_upstream("backend")
        self.port = free_port()
        gen = generation(self.port, {"*": [route("/", "backend")]}, {"backend": [upstream]})
        config_dir = self.make_config_dir()
        self.write_config(config_dir, "mesh.yaml", gen)
        self.start_sidecar("web-1", "web", self.start_control(config_dir))
        self.payload = self.path("payload.bin")
        with open(self.payload, "wb") as f:
            f.write(b"p" * 4096)

    def curl(self, *args):
        # A missing 100 Continue would stall curl for the whole --expect100-timeout (instead of
        # the default 1 s), so --max-time, well below it, turns it into a failure; a slow
        # but correct run never comes near either.
        cmd = ["curl", "-sS", "-v", "--max-time", str(harness.scaled(10)),
               "--expect100-timeout", str(harness.scaled(60)),
               "-H", "Expect: 100-continue", "--data-binary", "@" + self.payload] + list(args)
        return subprocess.run(cmd, capture_output=True, text=True, timeout=harness.scaled(20))

    def test_http1_client_gets_100_continue(self):
        r = self.curl("http://127.0.0.1:%d/upload" % self.port)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("< HTTP/1.1 100 Continue", r.stderr)
        self.assertIn("< HTTP/1.1 200", r.stderr)
        self.assertIn("x-upstream-body-bytes: 4096", r.stderr)
        self.assertNotIn("expect:", r.stdout.lower())  # the echo of what the upstream saw

    def test_http2_client_gets_100_continue(self):
        r = self.curl("--http2-prior-knowledge", "http://127.0.0.1:%d/upload" % self.port)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("< HTTP/2 100", r.stderr)
        self.assertIn("< HTTP/2 200", r.stderr)
        self.assertIn("x-upstream-body-bytes: 4096", r.stderr)
        self.assertNotIn("expect:", r.stdout.lower())

    def test_http2_request_trailers_reach_an_http1_upstream(self):
        conn = h2frames.RawH2(self.port)
        self.addCleanup(conn.close)
        head = b"\x83\x86" + literal(":path", "/trailers") + literal(":authority", "localhost")  # POST http
        conn.send(frame(HEADERS, END_HEADERS, 1, head))
        conn.send(frame(DATA, 0, 1, b"hello"))
        conn.send(frame(HEADERS, END_HEADERS | END_STREAM, 1, literal("x-checksum", "abc123")))
        _, data = conn.read_stream(1)
        self.assertIn(b"transfer-encoding: chunked", data)  # re-framed for the trailers
        self.assertIn(b"hello\n[trailers]\nx-checksum: abc123\n", data)


if __name__ == "__main__":
    harness.main()
