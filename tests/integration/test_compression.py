#!/usr/bin/env python3
"""Response compression (the caching/compression issue, item 3): through the real sidecar,
HTTP/1.1 and HTTP/2 clients get gzip, brotli or zstd bodies that decode byte-exactly to what
the upstream sent (curl --compressed, Python's gzip, the zstd CLI), with content-encoding,
vary and framing right; the excluded responses (already encoded, no-transform, small, wrong
type, 206, HEAD, q=0, no accept-encoding) pass untouched; /stats counts bytes saved.

The upstream is a small in-process HTTP/1.1 server (stdlib) whose replies are driven by the
query string, so each case can set its own response headers; the strait test upstream serves
the `?size=N` case."""

import gzip
import http.client
import http.server
import os
import re
import shutil
import subprocess
import sys
import threading
import unittest
import urllib.parse
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import free_port, generation, route  # noqa: E402

CURL_TIMEOUT_S = 20
STALLS = {}  # stall id -> threading.Event the upstream waits on before the second half


def body_of(size):
    """Deterministic JSON-lines text of exactly `size` bytes."""
    out = []
    n = 0
    i = 0
    while n < size:
        line = '{"id": %d, "name": "user-%d", "tags": ["alpha", "beta"], "score": %d}\n' % (
            i, i * 7919 % 1000, i * 31 % 997)
        out.append(line)
        n += len(line)
        i += 1
    return "".join(out)[:size].encode()


class Upstream(http.server.BaseHTTPRequestHandler):
    """GET/HEAD /<anything>?size=N&type=T&status=S&chunked=1&h=name:value&h=...&stall=ID
    Replies with body_of(N) (default 20000) as type T (default application/json); with
    stall=ID (chunked), sends the first half, then waits for STALLS[ID] before the rest."""
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # quiet
        pass

    def reply(self, send_body):
        q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
        size = int(q.get("size", ["20000"])[0])
        status = int(q.get("status", ["200"])[0])
        body = body_of(size)
        chunked = q.get("chunked", ["0"])[0] == "1"
        self.send_response(status)
        self.send_header("content-type", q.get("type", ["application/json"])[0])
        for h in q.get("h", []):
            name, value = h.split(":", 1)
            self.send_header(name, value)
        if chunked:
            self.send_header("transfer-encoding", "chunked")
        else:
            self.send_header("content-length", str(len(body)))
        self.end_headers()
        if not send_body:
            return
        if not chunked:
            self.wfile.write(body)
            return
        stall = STALLS.get(q.get("stall", [""])[0])
        for i in range(0, len(body), 4096):  # many chunks: the sidecar streams them
            if stall is not None and i == len(body) // 2:
                self.wfile.flush()
                stall.wait(CURL_TIMEOUT_S)
            piece = body[i:i + 4096]
            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
        self.wfile.write(b"0\r\n\r\n")

    def do_GET(self):
        self.reply(True)

    def do_HEAD(self):
        self.reply(False)


def raw_request(port, path, headers=None, method="GET"):
    """(status, headers {lower-case name: value, repeated ones joined by ', '}, raw body bytes)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=harness.scaled(10))
    try:
        conn.request(method, path, headers=dict(headers or {}))
        resp = conn.getresponse()
        data = resp.read()
        hdrs = {}
        for k, v in resp.getheaders():
            k = k.lower()
            hdrs[k] = hdrs[k] + ", " + v if k in hdrs else v
        return resp.status, hdrs, data
    finally:
        conn.close()


def parse_curl_headers(text):
    """The last response head of `curl -D` output: {lower-case name: value}."""
    heads = [h for h in re.split(r"\r?\n\r?\n", text) if h.strip()]
    out = {}
    for line in heads[-1].splitlines()[1:]:
        name, _, value = line.partition(":")
        out[name.strip().lower()] = value.strip()
    return out


class CompressionTest(harness.StraitTestCase):

    def start(self, compression=None):
        """Sidecar with one vhost (compression filter) routing /t/* to the in-process upstream
        and /u/* to strait-test-upstream."""
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.addCleanup(server.server_close)
        self.addCleanup(server.shutdown)
        test_upstream = self.start_upstream("origin")
        self.port = free_port()
        gen = generation(self.port, {"*": [route("/t/", "pyorigin"), route("/u/", "origin")]},
                         {"pyorigin": [server.server_address[1]], "origin": [test_upstream]})
        gen["route_configs"][0]["virtual_hosts"][0]["filters"] = [{"compression": compression or {}}]
        config_dir = self.make_config_dir()
        self.write_config(config_dir, "mesh.yaml", gen)
        self.admin = self.start_sidecar("web-1", "web", self.start_control(config_dir))

    def curl(self, path, *args):
        """curl through the sidecar; returns (headers, body bytes)."""
        out = self.path(self.unique("curl-body"))
        hdr = self.path(self.unique("curl-head"))
        subprocess.run(["curl", "-sS", "--fail-with-body", "-o", out, "-D", hdr] + list(args)
                       + ["http://127.0.0.1:%d%s" % (self.port, path)],
                       check=True, timeout=CURL_TIMEOUT_S)
        with open(hdr) as f, open(out, "rb") as b:
            return parse_curl_headers(f.read()), b.read()

    def stat(self, name):
        body = harness.http_get(self.admin, "/stats")[2]
        return int(re.search(r"^%s (\d+)$" % re.escape(name), body, re.M).group(1))

    def assert_compressed(self, headers, encoding, h2=False):
        self.assertEqual(headers.get("content-encoding"), encoding, headers)
        self.assertIn("accept-encoding", headers.get("vary", "").lower(), headers)
        self.assertNotIn("content-length", headers)
        if not h2:
            self.assertEqual(headers.get("transfer-encoding"), "chunked", headers)

    def assert_untouched(self, headers, length):
        self.assertNotIn("transfer-encoding", headers)
        self.assertEqual(headers.get("content-length"), str(length), headers)

    # ----- round trips -----

    def test_each_encoding_round_trips_with_curl_http1_and_http2(self):
        self.start()
        expected = body_of(300000)
        for proto in ([], ["--http2-prior-knowledge"]):
            for enc in ("gzip", "br", "zstd"):
                for chunked in ("0", "1"):
                    path = "/t/page?size=300000&chunked=" + chunked
                    headers, body = self.curl(path, "--compressed", "-H", "accept-encoding: " + enc, *proto)
                    self.assert_compressed(headers, enc, h2=bool(proto))
                    self.assertTrue(body == expected, "%s %s %s: %d bytes" % (proto, enc, chunked, len(body)))

    def test_curl_compressed_default_gets_servers_preference(self):
        self.start()
        headers, body = self.curl("/t/x?size=5000", "--compressed")  # deflate, gzip, br, zstd
        self.assert_compressed(headers, "zstd")
        self.assertEqual(body, body_of(5000))

    def test_raw_bytes_decode_with_the_encoders_own_decoders(self):
        self.start()
        expected = body_of(100000)
        status, headers, raw = raw_request(self.port, "/t/a?size=100000", {"accept-encoding": "gzip"})
        self.assertEqual((status, headers["content-encoding"]), (200, "gzip"))
        self.assertLess(len(raw), len(expected) // 3)
        self.assertEqual(gzip.decompress(raw), expected)
        status, headers, raw = raw_request(self.port, "/t/a?size=100000", {"accept-encoding": "zstd"})
        self.assertEqual(headers["content-encoding"], "zstd")
        if shutil.which("zstd"):
            self.assertEqual(subprocess.run(["zstd", "-dc"], input=raw, capture_output=True, check=True,
                                            timeout=CURL_TIMEOUT_S).stdout, expected)
        status, headers, raw = raw_request(self.port, "/t/a?size=100000", {"accept-encoding": "br"})
        self.assertEqual(headers["content-encoding"], "br")
        if shutil.which("brotli"):
            self.assertEqual(subprocess.run(["brotli", "-dc"], input=raw, capture_output=True, check=True,
                                            timeout=CURL_TIMEOUT_S).stdout, expected)

    def test_test_upstream_size_round_trips(self):
        self.start()
        for enc in ("gzip", "br", "zstd"):
            for proto in ([], ["--http2-prior-knowledge"]):
                headers, body = self.curl("/u/x?size=1000000", "--compressed", "-H", "accept-encoding: " + enc,
                                          *proto)
                self.assert_compressed(headers, enc, h2=bool(proto))
                self.assertTrue(body == b"x" * 1000000, "%s %s: %d bytes" % (enc, proto, len(body)))

    def test_q_values_choose_the_encoding(self):
        self.start()
        cases = {"gzip;q=1, br;q=0.5, zstd;q=0.1": "gzip", "br, gzip": "br", "*;q=0.5, zstd;q=0": "br",
                 "GZip": "gzip"}
        for accept, enc in cases.items():
            _, headers, raw = raw_request(self.port, "/t/q", {"accept-encoding": accept})
            self.assertEqual(headers.get("content-encoding"), enc, accept)

    def test_configured_preference_levels_and_types(self):
        self.start({"encodings": ["gzip"], "content_types": ["text/*"], "min_content_length": 100,
                    "gzip": {"level": 1, "window_bits": 10, "memory_level": 2}})
        _, headers, raw = raw_request(self.port, "/t/p?type=text/css", {"accept-encoding": "zstd, br, gzip"})
        self.assertEqual(headers["content-encoding"], "gzip")
        self.assertEqual(gzip.decompress(raw), body_of(20000))
        _, headers, _ = raw_request(self.port, "/t/p", {"accept-encoding": "gzip"})  # application/json
        self.assert_untouched(headers, 20000)
        _, headers, _ = raw_request(self.port, "/t/p?type=text/css&size=99", {"accept-encoding": "gzip"})
        self.assert_untouched(headers, 99)

    def test_streams_without_buffering_the_body(self):
        """The first half, compressed, reaches the client while the upstream still holds the
        second half back: the encoder flushes each chunk instead of waiting for the end."""
        self.start()
        STALLS["s1"] = threading.Event()
        self.addCleanup(STALLS["s1"].set)
        expected = body_of(65536)
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=harness.scaled(10))
        self.addCleanup(conn.close)
        conn.request("GET", "/t/stream?size=65536&chunked=1&stall=s1", headers={"accept-encoding": "gzip"})
        resp = conn.getresponse()
        self.assertEqual(resp.getheader("content-encoding"), "gzip")
        decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
        decoded = b""
        while len(decoded) < len(expected) // 2:  # blocks (10 s timeout) if nothing is flushed
            piece = resp.read1(65536)
            self.assertTrue(piece, "stream ended early")
            decoded += decoder.decompress(piece)
        self.assertEqual(decoded, expected[:len(decoded)])
        self.assertEqual(len(decoded), len(expected) // 2)  # not a byte more: the upstream is stalled
        STALLS["s1"].set()
        decoded += decoder.decompress(resp.read()) + decoder.flush()
        self.assertTrue(decoder.eof)
        self.assertEqual(decoded, expected)

    # ----- headers -----

    def test_vary_appended_and_etag_weakened(self):
        self.start()
        _, headers, raw = raw_request(self.port, "/t/v?h=vary:origin&h=etag:%22v1%22", {"accept-encoding": "gzip"})
        self.assertEqual(headers["vary"], "origin, accept-encoding")
        self.assertEqual(headers["etag"], 'W/"v1"')
        # Not compressed (client accepts nothing) but could have been: vary still says so.
        _, headers, raw = raw_request(self.port, "/t/v?h=etag:%22v1%22")
        self.assertEqual(headers["vary"], "accept-encoding")
        self.assertEqual(headers["etag"], '"v1"')
        self.assert_untouched(headers, 20000)
        self.assertEqual(raw, body_of(20000))

    # ----- exclusions -----

    def test_excluded_responses_pass_untouched(self):
        self.start()
        accept = {"accept-encoding": "gzip, br, zstd"}
        cases = {
            "already encoded": ("/t/e?h=content-encoding:deflate", 20000),
            "no-transform": ("/t/e?h=cache-control:public,%20no-transform", 20000),
            "small body": ("/t/e?size=29", 29),
            "wrong content type": ("/t/e?type=image/png", 20000),
            "206": ("/t/e?status=206&size=100&h=content-range:bytes%200-99/20000", 100),
        }
        for what, (path, length) in cases.items():
            status, headers, raw = raw_request(self.port, path, accept)
            self.assertNotIn("accept-encoding", headers.get("vary", ""), what)
            self.assertEqual(headers.get("content-encoding"), "deflate" if what == "already encoded" else None,
                             what)
            self.assert_untouched(headers, length)
            self.assertEqual(raw, body_of(length), what)
        # HEAD: no encoding (no body is made), but the vary its GET would carry.
        status, headers, raw = raw_request(self.port, "/t/e", accept, method="HEAD")
        self.assertEqual((status, raw), (200, b""))
        self.assertNotIn("content-encoding", headers)
        self.assertEqual(headers.get("content-length"), "20000")
        self.assertIn("accept-encoding", headers.get("vary", ""))
        _, headers, _ = raw_request(self.port, "/t/e?type=image/png", accept, method="HEAD")
        self.assertNotIn("accept-encoding", headers.get("vary", ""))
        for accept in ({"accept-encoding": "gzip;q=0, br;q=0, zstd;q=0"}, {"accept-encoding": "identity"}, {}):
            _, headers, raw = raw_request(self.port, "/t/e", accept)
            self.assertNotIn("content-encoding", headers, accept)
            self.assert_untouched(headers, 20000)
            self.assertEqual(raw, body_of(20000))

    def test_excluded_over_http2(self):
        self.start()
        headers, body = self.curl("/t/e?size=10", "--http2-prior-knowledge", "-H", "accept-encoding: gzip")
        self.assertNotIn("content-encoding", headers)
        self.assertEqual(headers.get("content-length"), "10")
        self.assertEqual(body, body_of(10))

    # ----- validation -----

    def test_invalid_settings_are_refused_with_the_field(self):
        gen = generation(free_port(), {"*": [route("/", "origin")]}, {"origin": [free_port()]})
        vh = gen["route_configs"][0]["virtual_hosts"][0]
        vh["filters"] = [{"compression": {"gzip": {"level": 10}, "content_types": ["text/html; charset=x"]}}]
        vh["routes"][0]["filters"] = [{"compression": {"encodings": ["deflate"], "zstd": {"window_log": 24}}}]
        config_dir = self.make_config_dir()
        self.write_config(config_dir, "mesh.yaml", gen)
        r = subprocess.run([harness.binary("control/straitctl"), "validate", config_dir], capture_output=True,
                           text=True, timeout=CURL_TIMEOUT_S)
        self.assertNotEqual(r.returncode, 0)
        out = r.stdout + r.stderr
        for line in ("virtual_hosts[0].filters[0].compression.gzip.level: must be between 1 and 9, got 10",
                     "virtual_hosts[0].filters[0].compression.content_types[0]: invalid media type "
                     "'text/html; charset=x'",
                     "virtual_hosts[0].routes[0].filters[0].compression.encodings[0]: unknown encoding 'deflate'",
                     "virtual_hosts[0].routes[0].filters[0].compression.zstd.window_log: must be between 10 and 23, "
                     "got 24"):
            self.assertIn(line, out)

    # ----- stats -----

    def test_stats_count_bytes_saved(self):
        self.start()
        for enc in ("gzip", "br", "zstd"):
            raw_request(self.port, "/t/s?size=50000", {"accept-encoding": enc})
        for enc in ("gzip", "br", "zstd"):
            self.assertEqual(self.stat("strait_compression_%s_total" % enc), 1)
            self.assertEqual(self.stat("strait_compression_%s_bytes_in_total" % enc), 50000)
            self.assertLess(self.stat("strait_compression_%s_bytes_out_total" % enc), 50000 // 3)
        self.assertGreater(self.stat("strait_compression_bytes_saved_total"), 3 * 50000 * 2 // 3)
        self.assertEqual(self.stat("strait_compression_errors_total"), 0)


if __name__ == "__main__":
    harness.main()
