#!/usr/bin/env python3
"""HTTP cache filter (the caching issue): each RFC 9111 directive through the real sidecar,
with the test upstream counting the requests it receives (GET /__count on the upstream)."""

import concurrent.futures
import gzip
import http.client
import http.server
import os
import re
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import h2frames  # noqa: E402
from harness import free_port, generation, route  # noqa: E402

LAST_MODIFIED = "Mon, 01 Jan 2024 00:00:00 GMT"
CHUNKED_SIZE = 512 * 1024
# How long the upstream takes to answer a revalidation the tests must not wait for (or must
# catch in flight), and to cut a fill midway. Scaled with the harness (4 s in the regular
# build, 8 s under ASan), so "answered long before the upstream" stays far from a slow but
# correct run.
SLOW_UPSTREAM_S = harness.scaled(2)
SLOW_UPSTREAM_MS = str(int(SLOW_UPSTREAM_S * 1000))


class ChunkedOrigin(http.server.BaseHTTPRequestHandler):
    """A cacheable body of unknown length (chunked): the first 16 KiB, then, once the
    server's `gate` event is set, the rest; counts requests in server.requests."""
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # quiet
        pass

    def do_GET(self):
        self.server.requests += 1
        self.send_response(200)
        self.send_header("cache-control", "max-age=60")
        self.send_header("content-type", "application/octet-stream")
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        piece = b"y" * 16384
        for i in range(CHUNKED_SIZE // len(piece)):
            if i == 1:
                self.wfile.flush()
                self.server.gate.wait(harness.scaled(10))
            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
        self.wfile.write(b"0\r\n\r\n")


class CacheTest(harness.StraitTestCase):

    def start(self, cache=None, threads=2, filters=None):
        self.upstream = self.start_upstream("origin", threads=threads)
        self.port = free_port()
        chain = filters if filters is not None else [{"cache": cache or {}}]
        gen = generation(self.port, {"*": [route("/", "backend", filters=chain)]},
                         {"backend": [self.upstream]})
        config_dir = self.make_config_dir()
        self.write_config(config_dir, "mesh.yaml", gen)
        self.admin = self.start_sidecar("web-1", "web", self.start_control(config_dir))

    def count(self):
        return int(harness.http_get(self.upstream, "/__count")[2])

    def get(self, path, headers=None, method="GET", body=None):
        return harness.http_request(self.port, path, method=method, headers=headers, body=body)

    def stat(self, name):
        body = harness.http_get(self.admin, "/stats")[2]
        return int(re.search(r"^%s (\d+)$" % re.escape(name), body, re.M).group(1))

    def assert_upstream_calls(self, n):
        self.assertEqual(self.count(), n)

    def test_max_age_hit(self):
        self.start()
        h = {"x-upstream-header-cache-control": "max-age=60"}
        s1, h1, b1 = self.get("/a", h)
        s2, h2, b2 = self.get("/a", h)
        self.assertEqual((s1, s2), (200, 200))
        self.assertEqual((h1["x-cache"], h2["x-cache"]), ("miss", "hit"))
        self.assertEqual(b1, b2)
        self.assertIn("age", h2)
        self.assert_upstream_calls(1)
        self.assertGreaterEqual(self.stat("strait_cache_hits_total"), 1)
        # HEAD is answered from the stored GET.
        s3, h3, b3 = self.get("/a", h, method="HEAD")
        self.assertEqual((s3, h3["x-cache"], b3), (200, "hit", ""))
        # HTTP/2 prior knowledge: the same stored object.
        out = subprocess.run(["curl", "-s", "--http2-prior-knowledge", "-D", "-", "-o", "/dev/null",
                              "-H", "x-upstream-header-cache-control: max-age=60",
                              "http://127.0.0.1:%d/a" % self.port], capture_output=True, text=True, timeout=harness.scaled(10))
        self.assertIn("x-cache: hit", out.stdout.lower())
        self.assert_upstream_calls(1)

    def test_hits_keep_the_connection_alive(self):
        # A hit is answered while the request head is still being parsed: the connection must
        # stay open for the next request (it was closed after every hit).
        self.start()
        h = {"x-upstream-header-cache-control": "max-age=60"}
        client = harness.KeepAliveClient(self.port)
        self.addCleanup(client.close)
        for expected in ("miss", "hit", "hit", "hit"):
            status, hdrs, _ = client.get("/ka", h)
            self.assertEqual((status, hdrs["x-cache"]), (200, expected))
            self.assertNotIn("connection", hdrs)
        self.assertEqual(self.stat("strait_downstream_cx_total"), 1)

    def test_not_stored(self):
        self.start()
        cases = [("/nostore", {"x-upstream-header-cache-control": "no-store, max-age=60"}),
                 ("/private", {"x-upstream-header-cache-control": "private, max-age=60"}),
                 ("/cookie", {"x-upstream-header-cache-control": "max-age=60", "x-upstream-header-set-cookie": "a=b"}),
                 ("/auth", {"x-upstream-header-cache-control": "max-age=60", "authorization": "Bearer x"}),
                 ("/star", {"x-upstream-header-cache-control": "max-age=60", "x-upstream-header-vary": "*"}),
                 ("/plain", {})]
        for path, h in cases:
            before = self.count()
            self.get(path, h)
            _, hdrs, _ = self.get(path, h)
            self.assertEqual(hdrs["x-cache"], "miss", path)
            self.assertEqual(self.count(), before + 2, path)
        # authorization with public: stored.
        h = {"x-upstream-header-cache-control": "public, max-age=60", "authorization": "Bearer x"}
        self.get("/auth-public", h)
        self.assertEqual(self.get("/auth-public", h)[1]["x-cache"], "hit")

    def test_expires(self):
        self.start()
        h = {"x-upstream-header-expires": "Thu, 01 Jan 2099 00:00:00 GMT"}
        self.get("/exp", h)
        self.assertEqual(self.get("/exp", h)[1]["x-cache"], "hit")
        past = {"x-upstream-header-expires": "Thu, 01 Jan 1970 00:00:00 GMT"}
        self.get("/past", past)
        self.assertEqual(self.get("/past", past)[1]["x-cache"], "miss")

    def test_no_cache_revalidation_with_etag(self):
        self.start()
        h = {"x-upstream-header-cache-control": "no-cache", "x-upstream-etag": '"v1"'}
        s1, h1, b1 = self.get("/nc", h)
        before = self.count()
        s2, h2, b2 = self.get("/nc", h)
        self.assertEqual((s2, h2["x-cache"]), (200, "revalidated"))
        self.assertEqual(b1, b2)  # the stored body, not the 304's
        self.assertEqual(self.count(), before + 1)
        self.assertGreaterEqual(self.stat("strait_cache_revalidations_total"), 1)
        # A client conditional on the refreshed object: 304.
        s3, h3, _ = self.get("/nc", dict(h, **{"if-none-match": '"v1"'}))
        self.assertEqual(s3, 304)

    def test_last_modified_304_refresh(self):
        self.start()
        # Fresh for a minute; the client's `cache-control: no-cache` makes the cache revalidate
        # now (RFC 9111 5.2.1.4) rather than the test waiting for max-age to pass, so no step
        # depends on how fast the machine is.
        h = {"x-upstream-header-cache-control": "max-age=60", "x-upstream-last-modified": LAST_MODIFIED}
        self.get("/lm", h)
        self.assertEqual(self.get("/lm", h)[1]["x-cache"], "hit")
        before = self.count()
        self.assertEqual(self.get("/lm", dict(h, **{"cache-control": "no-cache"}))[1]["x-cache"], "revalidated")
        self.assertEqual(self.count(), before + 1)
        # Refreshed: fresh again for max-age.
        self.assertEqual(self.get("/lm", h)[1]["x-cache"], "hit")
        # A client if-modified-since answered from the cache.
        self.assertEqual(self.get("/lm", dict(h, **{"if-modified-since": LAST_MODIFIED}))[0], 304)

    def test_vary_separation(self):
        self.start()
        base = {"x-upstream-header-cache-control": "max-age=60", "x-upstream-header-vary": "accept-language"}
        en = dict(base, **{"accept-language": "en"})
        fr = dict(base, **{"accept-language": "fr"})
        _, h1, b1 = self.get("/v", en)
        _, h2, b2 = self.get("/v", fr)
        self.assertEqual((h1["x-cache"], h2["x-cache"]), ("miss", "miss"))
        _, h3, b3 = self.get("/v", en)
        _, h4, b4 = self.get("/v", fr)
        self.assertEqual((h3["x-cache"], h4["x-cache"]), ("hit", "hit"))
        self.assertIn("accept-language: en", b3)
        self.assertIn("accept-language: fr", b4)
        self.assert_upstream_calls(2)

    def test_only_if_cached(self):
        self.start()
        status, _, _ = self.get("/oic", {"cache-control": "only-if-cached"})
        self.assertEqual(status, 504)
        self.assert_upstream_calls(0)

    def test_stale_if_error(self):
        self.start()
        ok = {"x-upstream-header-cache-control": "max-age=1, stale-if-error=60"}
        self.get("/sie", ok)
        failing = dict(ok, **{"x-upstream-status": "503"})
        harness.wait_until(lambda: self.get("/sie", failing)[1].get("x-cache") == "stale", timeout=5)
        status, hdrs, _ = self.get("/sie", failing)
        self.assertEqual((status, hdrs["x-cache"]), (200, "stale"))

    def test_stale_if_error_when_the_upstream_fails(self):
        # The revalidation of a stale entry meets a reset upstream: the router's 502 goes
        # through the cache filter, which answers with the stale object instead.
        self.start()
        ok = {"x-upstream-header-cache-control": "max-age=0, stale-if-error=60", "x-upstream-etag": '"v1"'}
        self.assertEqual(self.get("/sie-reset", ok)[0], 200)
        status, hdrs, _ = self.get("/sie-reset", dict(ok, **{"x-upstream-reset": "1"}))
        self.assertEqual((status, hdrs.get("x-cache")), (200, "stale"))
        # Without stale-if-error the same failure reaches the client.
        plain = {"x-upstream-header-cache-control": "max-age=0", "x-upstream-etag": '"v1"'}
        self.get("/no-sie", plain)
        status, hdrs, _ = self.get("/no-sie", dict(plain, **{"x-upstream-reset": "1"}))
        self.assertEqual((status, hdrs.get("x-strait-local-reply")), (502, "upstream_reset_before_response_complete"))

    def raw_get(self, path, headers):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=harness.scaled(5))
        try:
            conn.request("GET", path, headers=headers)
            resp = conn.getresponse()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
        finally:
            conn.close()

    def test_compressed_variants_are_cached(self):
        # Cache listed before compression: the upstream response is compressed first (response
        # filters run in reverse), then stored as the accept-encoding variant it is.
        self.start(filters=[{"cache": {}}, {"compression": {}}])
        h = {"x-upstream-header-cache-control": "max-age=60", "x-upstream-size": "5000",
             "accept-encoding": "gzip"}
        s1, h1, b1 = self.raw_get("/z", h)
        s2, h2, b2 = self.raw_get("/z", h)
        self.assertEqual((s1, h1["x-cache"], h1["content-encoding"]), (200, "miss", "gzip"))
        self.assertEqual((s2, h2["x-cache"], h2["content-encoding"]), (200, "hit", "gzip"))
        self.assertEqual(gzip.decompress(b2), b"x" * 5000)
        self.assertEqual(b1, b2)
        self.assertIn("accept-encoding", h2["vary"].lower())
        # A client that accepts no encoding is another variant: a miss, served plain.
        s3, h3, b3 = self.raw_get("/z", {k: v for k, v in h.items() if k != "accept-encoding"})
        self.assertEqual((s3, h3["x-cache"], b3), (200, "miss", b"x" * 5000))
        self.assertNotIn("content-encoding", h3)
        self.assert_upstream_calls(2)

    def check_not_modified_vary(self, filters):
        # RFC 9110 15.4.5: a 304 carries the vary and etag its 200 would have carried, here
        # the compression filter's `vary: accept-encoding` and weakened etag.
        self.start(filters=filters)
        h = {"x-upstream-header-cache-control": "max-age=60", "x-upstream-etag": '"v1"', "x-upstream-size": "5000",
             "accept-encoding": "gzip"}
        s1, h1, _ = self.raw_get("/nm", h)
        self.assertEqual((s1, h1["content-encoding"], h1["etag"]), (200, "gzip", 'W/"v1"'))
        self.assertIn("accept-encoding", h1["vary"].lower())
        # The cache answers the client's conditional.
        s2, h2, b2 = self.raw_get("/nm", dict(h, **{"if-none-match": h1["etag"]}))
        self.assertEqual((s2, h2["x-cache"], b2), (304, "hit", b""))
        self.assertIn("accept-encoding", h2.get("vary", "").lower())
        self.assertEqual(h2["etag"], 'W/"v1"')
        # A client accepting no encoding: its 200 has the vary and the strong etag, so its 304 too.
        plain = {k: v for k, v in h.items() if k != "accept-encoding"}
        s3, h3, _ = self.raw_get("/nm", plain)
        self.assertEqual((s3, h3["etag"]), (200, '"v1"'))
        self.assertIn("accept-encoding", h3["vary"].lower())
        s4, h4, _ = self.raw_get("/nm", dict(plain, **{"if-none-match": '"v1"'}))
        self.assertEqual((s4, h4["etag"]), (304, '"v1"'))
        self.assertIn("accept-encoding", h4.get("vary", "").lower())
        # A 304 from the upstream, passed through (the client's no-store: the cache stays out).
        before = self.count()
        s5, h5, _ = self.raw_get("/nm-pass", {"cache-control": "no-store", "x-upstream-etag": '"p1"',
                                              "if-none-match": '"p1"', "accept-encoding": "gzip"})
        self.assertEqual((s5, h5["etag"]), (304, 'W/"p1"'))
        self.assertIn("accept-encoding", h5.get("vary", "").lower())
        self.assertEqual(self.count(), before + 1)

    def test_not_modified_carries_vary_cache_first(self):
        self.check_not_modified_vary([{"cache": {}}, {"compression": {}}])

    def test_not_modified_carries_vary_compression_first(self):
        # Hits pass through the compression filter (listed before the cache).
        self.check_not_modified_vary([{"compression": {}}, {"cache": {}}])

    def test_fill_failing_midway_resets_its_readers(self):
        # The upstream sends the head and part of a cacheable body, then (SLOW_UPSTREAM_S
        # later) closes. The filling client and every reader streaming the object, HTTP/1.1
        # and HTTP/2, get an error, never the partial body as if complete; nothing is stored;
        # the next request is a miss that succeeds, and the sidecar keeps serving.
        self.start()
        size, part = 200000, 50000
        ok = {"x-upstream-header-cache-control": "max-age=60", "x-upstream-size": str(size)}
        cut = dict(ok, **{"x-upstream-abort-after": str(part), "x-upstream-delay-ms": SLOW_UPSTREAM_MS})
        h1 = []
        for i, headers in enumerate([cut, ok, ok]):
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=harness.scaled(10))
            self.addCleanup(conn.close)
            conn.request("GET", "/cut", headers=headers)
            resp = conn.getresponse()
            self.assertEqual((resp.status, resp.getheader("x-cache")), (200, "miss" if i == 0 else "hit"))
            self.assertEqual(resp.getheader("content-length"), str(size))
            self.assertEqual(len(resp.read(1000)), 1000)  # streaming the partial body
            h1.append(resp)
        h2 = h2frames.RawH2(self.port, timeout=10)
        self.addCleanup(h2.close)
        h2.send(h2frames.frame(h2frames.HEADERS, h2frames.END_STREAM | h2frames.END_HEADERS, 1,
                               h2frames.request_block("/cut", "127.0.0.1:%d" % self.port)))
        self.assertEqual(h2.read_body(1, at_least=1000)[0], "data")
        for resp in h1:
            with self.assertRaises((http.client.IncompleteRead, ConnectionError)):
                resp.read()
        outcome, data = h2.read_body(1)
        self.assertIn(outcome, ("rst", "eof", "goaway"))
        self.assertLess(len(data), size)
        self.assert_upstream_calls(1)
        # Not stored: a miss that goes upstream and succeeds, then a hit.
        status, hdrs, body = self.get("/cut", ok)
        self.assertEqual((status, hdrs["x-cache"], len(body)), (200, "miss", size))
        self.assertEqual(self.get("/cut", ok)[1]["x-cache"], "hit")
        self.assert_upstream_calls(2)

    def test_unknown_length_object_outgrowing_max_object_bytes(self):
        # A chunked object grows past max_object_bytes while three requests are collapsed
        # onto its fill: it is not stored, but all four clients get it whole; its bytes were
        # counted while kept for them (strait_cache_transient_bytes) and are released after.
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), ChunkedOrigin)
        server.daemon_threads = True
        server.requests = 0
        server.gate = threading.Event()
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.addCleanup(server.server_close)
        self.addCleanup(server.shutdown)
        self.addCleanup(server.gate.set)
        self.port = free_port()
        chain = [{"cache": {"max_bytes": 1 << 20, "max_object_bytes": 64 << 10}}]
        gen = generation(self.port, {"*": [route("/", "chunked", filters=chain)]},
                         {"chunked": [server.server_address[1]]})
        config_dir = self.make_config_dir()
        self.write_config(config_dir, "mesh.yaml", gen)
        self.admin = self.start_sidecar("web-1", "web", self.start_control(config_dir))
        responses = []
        for expected in ("miss", "hit", "hit", "hit"):
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=harness.scaled(10))
            self.addCleanup(conn.close)
            conn.request("GET", "/grow")
            resp = conn.getresponse()
            self.assertEqual((resp.status, resp.getheader("x-cache")), (200, expected))
            self.assertEqual(resp.read(1000), b"y" * 1000)
            responses.append(resp)
        server.gate.set()
        with concurrent.futures.ThreadPoolExecutor(len(responses)) as pool:
            rests = list(pool.map(lambda r: r.read(), responses))
        for rest in rests:
            self.assertEqual(len(rest), CHUNKED_SIZE - 1000)
        self.assertGreaterEqual(self.stat("strait_cache_too_large_total"), 1)
        harness.wait_until(lambda: self.stat("strait_cache_transient_bytes") == 0, timeout=5,
                           message="transient bytes released")
        self.assertLessEqual(self.stat("strait_cache_bytes"), 1 << 20)
        status, hdrs, body = self.get("/grow")
        self.assertEqual((status, hdrs["x-cache"], len(body)), (200, "miss", CHUNKED_SIZE))
        self.assertEqual(server.requests, 2)

    def test_max_stale_request_accepts_a_stale_entry(self):
        self.start()
        h = {"x-upstream-header-cache-control": "max-age=0", "x-upstream-etag": '"m1"'}
        self.get("/ms", h)
        status, hdrs, _ = self.get("/ms", dict(h, **{"cache-control": "max-stale=60"}))
        self.assertEqual((status, hdrs.get("x-cache")), (200, "stale"))
        self.assert_upstream_calls(1)

    def test_must_revalidate_never_serves_stale_on_error(self):
        self.start()
        h = {"x-upstream-header-cache-control": "max-age=0, must-revalidate, stale-if-error=60",
             "x-upstream-etag": '"mr"'}
        self.get("/mr", h)
        status, hdrs, _ = self.get("/mr", dict(h, **{"x-upstream-reset": "1"}))
        self.assertNotEqual(hdrs.get("x-cache"), "stale")
        self.assertGreaterEqual(status, 500)

    def test_stale_while_revalidate_serves_stale_during_revalidation(self):
        self.start()
        h = {"x-upstream-header-cache-control": "max-age=0, stale-while-revalidate=60",
             "x-upstream-etag": '"s1"'}
        self.get("/swr", h)
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            slow = pool.submit(self.get, "/swr", dict(h, **{"x-upstream-delay-ms": SLOW_UPSTREAM_MS}))
            harness.wait_until(lambda: self.count() == 2 or slow.done(), timeout=5,
                               message="revalidation reached the upstream")
            status, hdrs, _ = self.get("/swr", h)  # while the revalidation is in flight
            self.assertEqual((status, hdrs.get("x-cache")), (200, "stale"))
            self.assertEqual(slow.result()[0], 200)

    def timed_get(self, path, headers):
        start = time.monotonic()
        status, hdrs, body = self.get(path, headers)
        return status, hdrs, body, time.monotonic() - start

    def wait_stale(self, path, headers):
        """Polls until the object is served stale (it was fresh so far: hits, no upstream
        request); returns that response and how long it took."""
        def stale():
            r = self.timed_get(path, headers)
            return r if r[1].get("x-cache") == "stale" else None
        return harness.wait_until(stale, timeout=10, message="the object to be served stale")

    def test_stale_while_revalidate_refreshes_in_background(self):
        # RFC 5861: the request that finds the object stale gets it at once, even though the
        # upstream takes SLOW_UPSTREAM_S to answer the refresh; one background request
        # refreshes it.
        self.start()
        first = {"x-upstream-header-cache-control": "max-age=1, stale-while-revalidate=60",
                 "x-upstream-etag": '"s1"'}
        _, h1, b1 = self.get("/swr-bg", first)
        self.assertEqual(h1["x-cache"], "miss")
        # The refresh (sent with this request's fields) is answered 304 after SLOW_UPSTREAM_S,
        # with a max-age of 60 s: fresh again once it arrives.
        slow = {"x-upstream-header-cache-control": "max-age=60, stale-while-revalidate=60",
                "x-upstream-etag": '"s1"', "x-upstream-delay-ms": SLOW_UPSTREAM_MS}
        status, _, body, took = self.wait_stale("/swr-bg", slow)
        self.assertEqual((status, body), (200, b1))
        self.assertLess(took, SLOW_UPSTREAM_S / 2)  # did not wait for the upstream
        harness.wait_until(lambda: self.count() == 2, timeout=5, message="the background revalidation")
        for _ in range(3):  # while it is in flight: stale at once, no second revalidation
            status, hdrs, _, took = self.timed_get("/swr-bg", slow)
            self.assertEqual((status, hdrs["x-cache"]), (200, "stale"))
            self.assertLess(took, SLOW_UPSTREAM_S / 2)
        harness.wait_until(lambda: self.get("/swr-bg", slow)[1]["x-cache"] == "hit", timeout=10,
                           message="the refreshed object")
        self.assert_upstream_calls(2)
        self.assertEqual(self.stat("strait_cache_background_revalidations_total"), 1)
        self.assertGreaterEqual(self.stat("strait_cache_revalidations_total"), 1)

    def test_stale_while_revalidate_background_200_replaces_the_object(self):
        self.start()
        self.get("/swr-new", {"x-upstream-header-cache-control": "max-age=1, stale-while-revalidate=60",
                              "x-upstream-etag": '"a1"'})
        changed = {"x-upstream-header-cache-control": "max-age=60", "x-upstream-etag": '"a2"'}
        _, hdrs, _, _ = self.wait_stale("/swr-new", changed)
        self.assertEqual(hdrs["etag"], '"a1"')

        def replaced():
            _, h, body = self.get("/swr-new", changed)
            return h["x-cache"] == "hit" and h["etag"] == '"a2"' and body
        body = harness.wait_until(replaced, timeout=10, message="the new object")
        self.assertIn('if-none-match: "a1"', body)  # the echo of the background request
        self.assert_upstream_calls(2)

    def test_stale_while_revalidate_in_background_before_compression(self):
        # [cache, compression]: the stored object is the gzip variant the compression filter
        # made; the background refresh skips that filter, so a 304 refreshes only the
        # freshness fields (the stored weak etag and encoding stay) and a changed object is
        # dropped, to be fetched next through the whole chain.
        self.start(filters=[{"cache": {}}, {"compression": {}}])
        base = {"x-upstream-size": "5000", "accept-encoding": "gzip", "x-upstream-etag": '"g1"'}
        first = dict(base, **{"x-upstream-header-cache-control": "max-age=1, stale-while-revalidate=60"})
        _, h1, b1 = self.raw_get("/swr-gz", first)
        self.assertEqual((h1["x-cache"], h1["content-encoding"], h1["etag"]), ("miss", "gzip", 'W/"g1"'))
        slow = dict(base, **{"x-upstream-header-cache-control": "max-age=60, stale-while-revalidate=60",
                             "x-upstream-delay-ms": SLOW_UPSTREAM_MS})

        def stale():
            start = time.monotonic()
            r = self.raw_get("/swr-gz", slow)
            return (r, time.monotonic() - start) if r[1].get("x-cache") == "stale" else None
        (status, hdrs, body), took = harness.wait_until(stale, timeout=10, message="served stale")
        self.assertEqual((status, hdrs["content-encoding"], body), (200, "gzip", b1))
        self.assertLess(took, SLOW_UPSTREAM_S / 2)  # did not wait for the slow refresh
        harness.wait_until(lambda: self.raw_get("/swr-gz", slow)[1]["x-cache"] == "hit", timeout=10,
                           message="the refreshed object")
        _, hdrs, body = self.raw_get("/swr-gz", slow)
        self.assertEqual((hdrs["content-encoding"], hdrs["etag"]), ("gzip", 'W/"g1"'))
        self.assertIn("max-age=60", hdrs["cache-control"])
        self.assertEqual(gzip.decompress(body), b"x" * 5000)
        self.assert_upstream_calls(2)
        self.assertEqual(self.stat("strait_cache_background_revalidations_total"), 1)
        # A changed object: the background 200 drops the stale variant; the next request is a
        # miss through the chain that stores the new one compressed.
        self.raw_get("/swr-gz2", first)
        changed = dict(base, **{"x-upstream-header-cache-control": "max-age=60", "x-upstream-etag": '"g2"'})
        harness.wait_until(lambda: self.raw_get("/swr-gz2", changed)[1]["x-cache"] == "stale", timeout=10,
                           message="served stale")
        harness.wait_until(lambda: self.raw_get("/swr-gz2", changed)[1]["x-cache"] == "miss", timeout=10,
                           message="the stale object dropped")
        _, hdrs, body = self.raw_get("/swr-gz2", changed)
        self.assertEqual((hdrs["x-cache"], hdrs["content-encoding"], hdrs["etag"]), ("hit", "gzip", 'W/"g2"'))
        self.assertEqual(gzip.decompress(body), b"x" * 5000)

    def test_large_hit_streams_with_backpressure(self):
        # 6 MB is several times the downstream write buffer's high watermark: the hit pauses
        # and resumes as the client drains it, and arrives whole.
        self.start({"max_bytes": 64 << 20, "max_object_bytes": 8 << 20})
        h = {"x-upstream-header-cache-control": "max-age=60", "x-upstream-size": "6000000"}
        for expected in ("miss", "hit", "hit"):
            status, hdrs, body = self.raw_get("/big", h)
            self.assertEqual((status, hdrs["x-cache"], len(body)), (200, expected, 6000000))
        self.assert_upstream_calls(1)

    def test_invalidation_by_post(self):
        self.start()
        h = {"x-upstream-header-cache-control": "max-age=60"}
        self.get("/inv", h)
        self.assertEqual(self.get("/inv", h)[1]["x-cache"], "hit")
        self.get("/inv", method="POST", body="x")
        self.assertEqual(self.get("/inv", h)[1]["x-cache"], "miss")
        self.assertGreaterEqual(self.stat("strait_cache_invalidations_total"), 1)

    def test_range(self):
        self.start()
        h = {"x-upstream-header-cache-control": "max-age=60", "x-upstream-size": "1000"}
        self.get("/r", h)
        status, hdrs, body = self.get("/r", dict(h, range="bytes=10-19"))
        self.assertEqual((status, hdrs["content-range"], body), (206, "bytes 10-19/1000", "x" * 10))
        status, hdrs, _ = self.get("/r", dict(h, range="bytes=5000-"))
        self.assertEqual((status, hdrs["content-range"]), (416, "bytes */1000"))
        self.assert_upstream_calls(1)

    def test_concurrent_misses_collapse(self):
        self.start()
        h = {"x-upstream-header-cache-control": "max-age=60", "x-upstream-delay-ms": "500"}

        def one(_):
            return self.get("/cold", h)

        with concurrent.futures.ThreadPoolExecutor(100) as pool:
            results = list(pool.map(one, range(100)))
        self.assertTrue(all(r[0] == 200 for r in results))
        self.assertEqual(len({r[2] for r in results}), 1)
        self.assert_upstream_calls(1)
        self.assertGreaterEqual(self.stat("strait_cache_collapsed_total"), 1)

    def test_eviction_under_byte_limit(self):
        self.start({"max_bytes": 20000, "max_object_bytes": 8000})
        h = {"x-upstream-header-cache-control": "max-age=60", "x-upstream-size": "5000"}
        for i in range(10):
            self.get("/e%d" % i, h)
        self.assertGreater(self.stat("strait_cache_evictions_total"), 0)
        self.assertLessEqual(self.stat("strait_cache_bytes"), 20000)
        before = self.count()
        self.assertEqual(self.get("/e9", h)[1]["x-cache"], "hit")
        self.assertEqual(self.get("/e0", h)[1]["x-cache"], "miss")  # least recently used: gone
        self.assertEqual(self.count(), before + 1)
        # Larger than max_object_bytes: never stored.
        big = dict(h, **{"x-upstream-size": "9000"})
        self.get("/big", big)
        self.assertEqual(self.get("/big", big)[1]["x-cache"], "miss")


if __name__ == "__main__":
    harness.main()
