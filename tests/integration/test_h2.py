#!/usr/bin/env python3
"""HTTP/2 downstream (h2c with prior knowledge on an ordinary listener): real clients (curl,
nghttp, h2load) through the sidecar to HTTP/1.1 upstreams."""

import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import free_port, generation, header, route  # noqa: E402


def run(args, timeout=60):
    return subprocess.run(args, capture_output=True, text=True, timeout=harness.scaled(timeout))


class H2Test(harness.StraitTestCase):

    def setUp(self):
        super().setUp()
        self.port_a = self.start_upstream("backend-a")
        self.listener_port = free_port()
        gen = generation(self.listener_port, {"*": [
            route("/a", "only-a", response_headers_to_add=[header("x-route", "a")]),
        ]}, {"only-a": [self.port_a]})
        config_dir = self.make_config_dir()
        self.write_config(config_dir, "mesh.yaml", gen)
        self.admin = self.start_sidecar("web-1", "web", self.start_control(config_dir))
        self.url = "http://127.0.0.1:%d" % self.listener_port

    def test_curl_prior_knowledge_translates_to_http1_upstream(self):
        r = run(["curl", "-sS", "-i", "--http2-prior-knowledge", "-H", "cookie: a=1",
                 "-H", "cookie: b=2", self.url + "/a/x?y=1"])
        self.assertEqual(r.returncode, 0, r.stderr)
        head, _, body = r.stdout.partition("\n\n")  # text mode folds CRLF
        self.assertTrue(head.startswith("HTTP/2 200"), head)
        self.assertIn("x-route: a", head)
        lines = body.lower().splitlines()
        self.assertEqual(lines[0], "get /a/x?y=1 http/1.1")
        self.assertIn("host: 127.0.0.1:%d" % self.listener_port, lines)
        self.assertIn("cookie: a=1; b=2", lines)  # RFC 9113 8.2.3: joined for HTTP/1.1

    def test_large_upload_and_download(self):
        payload = os.urandom(3 << 20)
        path = self.path("upload.bin")
        with open(path, "wb") as f:
            f.write(payload)
        r = run(["curl", "-sS", "--http2-prior-knowledge", "-o", "/dev/null", "-w", "%{http_code} %{size_download}",
                 "--data-binary", "@" + path, self.url + "/a/up"])
        self.assertEqual(r.returncode, 0, r.stderr)
        code, size = r.stdout.split()
        self.assertEqual(code, "200")
        self.assertGreater(int(size), len(payload))  # the echo carries the whole body back
        r = run(["curl", "-sS", "--http2-prior-knowledge", "-o", "/dev/null", "-w", "%{size_download}",
                 self.url + "/a/down?size=20000000"])
        self.assertEqual(r.stdout, "20000000", r.stderr)

    def test_many_concurrent_streams_on_one_connection(self):
        r = run(["h2load", "-n", "2000", "-c", "1", "-m", "50", self.url + "/a/load"])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("2000 succeeded, 0 failed", r.stdout, r.stdout)
        self.assertIn("status codes: 2000 2xx", r.stdout, r.stdout)

    def test_nghttp_local_reply_and_http1_still_served(self):
        r = run(["nghttp", "-v", self.url + "/nope"])
        self.assertIn(":status: 404", r.stdout, r.stdout[-2000:])
        status, _, _ = harness.http_get(self.listener_port, "/a/h1")
        self.assertEqual(status, 200)


if __name__ == "__main__":
    harness.main()
