#!/usr/bin/env python3
"""HTTP/1.1 keep-alive across responses the sidecar makes itself: a cache hit (a filter's
reply), a redirect, a direct response and a 404 for no route are answered while the request
head is being delivered, and the client's connection must stay open for its next request.
A response that ends before the request's body was read ends the connection, and says so
with `connection: close`."""

import http.client
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import free_port, generation, route  # noqa: E402


class LocalReplyKeepAliveTest(harness.StraitTestCase):

    def setUp(self):
        super().setUp()
        self.upstream = self.start_upstream("origin")
        self.port = free_port()
        routes = [
            {"match": {"path": "/moved"}, "redirect": {"path_redirect": "/there", "response_code": 301}},
            {"match": {"path": "/teapot"}, "direct_response": {"status": 418, "body": "short and stout\n"}},
            route("/cached/", "backend", filters=[{"cache": {}}]),
            route("/limited/", "backend",
                  filters=[{"access_control": {"max_request_body_bytes": 10}}]),
        ]
        gen = generation(self.port, {"keep.example": routes}, {"backend": [self.upstream]})
        config_dir = self.make_config_dir()
        self.write_config(config_dir, "mesh.yaml", gen)
        self.start_sidecar("web-1", "web", self.start_control(config_dir))

    def exchange(self, conn, path, method="GET", body=None, headers=None):
        conn.request(method, path, body=body, headers=dict({"host": "keep.example"}, **(headers or {})))
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()

    def test_connection_survives_local_replies(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=harness.scaled(5))
        self.addCleanup(conn.close)
        cache = {"x-upstream-header-cache-control": "max-age=60"}
        status, hdrs, _ = self.exchange(conn, "/cached/a", headers=cache)
        self.assertEqual((status, hdrs["x-cache"]), (200, "miss"))
        sock = conn.sock
        self.assertIsNotNone(sock)
        expected = [("/cached/a", 200), ("/moved", 301), ("/teapot", 418), ("/cached/a", 200)]
        for path, want in expected:
            status, hdrs, _ = self.exchange(conn, path, headers=cache)
            self.assertEqual(status, want, path)
            self.assertNotEqual(hdrs.get("connection"), "close", path)
            # http.client reconnects silently only when the old socket was closed: the same
            # socket object means the sidecar kept the connection.
            self.assertIs(conn.sock, sock, path)
        # No route for the host: 404 from the router, still on the same connection.
        status, hdrs, _ = self.exchange(conn, "/x", headers={"host": "nowhere.example"})
        self.assertEqual(status, 404)
        self.assertIs(conn.sock, sock)
        status, _, _ = self.exchange(conn, "/cached/a", headers=cache)
        self.assertEqual(status, 200)
        self.assertIs(conn.sock, sock)

    def test_reply_before_the_body_closes_and_says_so(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=harness.scaled(5))
        self.addCleanup(conn.close)
        status, hdrs, _ = self.exchange(conn, "/limited/upload", method="POST", body=b"x" * 1000)
        self.assertEqual(status, 413)
        self.assertEqual(hdrs.get("connection"), "close")


if __name__ == "__main__":
    unittest.main()
