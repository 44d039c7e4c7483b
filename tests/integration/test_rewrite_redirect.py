#!/usr/bin/env python3
"""Rewrites, path normalisation, redirects and direct responses (routing-policy issue), over
HTTP/1.1 and HTTP/2. The test upstream echoes the request line and headers, so the tests
read exactly what reached it."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from h2curl import h2_request  # noqa: E402
from harness import free_port, generation  # noqa: E402

SENDERS = (("h1", harness.http_request), ("h2", h2_request))


def request_line(body):
    return body.split("\n", 1)[0]


def echoed_header(body, name):
    for line in body.split("\n\n", 1)[0].split("\n")[1:]:
        k, _, v = line.partition(": ")
        if k.lower() == name:
            return v
    return None


class RewriteRedirectTest(harness.StraitTestCase):

    def setUp(self):
        super().setUp()
        self.up = self.start_upstream("backend")
        self.port = free_port()
        routes = [
            {"name": "files", "match": {"prefix": "/static/"},
             "route": {"cluster": "backend", "prefix_rewrite": "/files/"}},
            {"name": "regex", "match": {"prefix": "/v1/"},
             "route": {"cluster": "backend",
                       "regex_rewrite": {"pattern": "^/v1/(\\w+)/(\\d+)$", "substitution": "/\\2/\\1"}}},
            {"name": "public", "match": {"prefix": "/public/"}, "route": {"cluster": "backend"}},
            {"name": "literal-host", "match": {"prefix": "/lit/"},
             "route": {"cluster": "backend", "host_rewrite_literal": "backend.internal"}},
            {"name": "auto-host", "match": {"prefix": "/auto/"},
             "route": {"cluster": "backend", "auto_host_rewrite": True}},
            {"name": "to-https", "match": {"prefix": "/secure/"}, "redirect": {"https_redirect": True}},
            {"name": "moved", "match": {"prefix": "/old/"},
             "redirect": {"prefix_rewrite": "/new/", "response_code": 308, "strip_query": True}},
            {"name": "elsewhere", "match": {"path": "/go"},
             "redirect": {"host_redirect": "www.example.org", "port_redirect": 8443, "scheme_redirect": "https",
                          "path_redirect": "/landing", "response_code": 302}},
            {"name": "see-other", "match": {"path": "/form"},
             "redirect": {"path_redirect": "/done?ok=1", "response_code": 303}},
            {"name": "temp", "match": {"path": "/temp"}, "redirect": {"host_redirect": "b.example", "response_code": 307}},
            {"name": "teapot", "match": {"path": "/teapot"},
             "direct_response": {"status": 418, "body": "short and stout\n"},
             "response_headers_to_add": [{"key": "x-route", "value": "%ROUTE_NAME%"}]},
            {"name": "blocked", "match": {"prefix": "/"},
             "direct_response": {"status": 404, "body": "not here\n"}},
        ]
        gen = generation(self.port, {"*": routes}, {"backend": [self.up]})
        gen["route_configs"][0]["path_normalization"] = {"merge_slashes": True, "reject_encoded_slashes": True}
        config_dir = self.make_config_dir()
        self.write_config(config_dir, "mesh.yaml", gen)
        self.start_sidecar("web-1", "web", self.start_control(config_dir))

    def upstream_saw(self, path, **kw):
        out = []
        for proto, send in SENDERS:
            status, _, body = send(self.port, path, **kw)
            self.assertEqual(status, 200, "%s %s: %s" % (proto, path, body))
            out.append(body)
        return out

    def test_prefix_and_regex_rewrite(self):
        for body in self.upstream_saw("/static/css/a.css?v=3"):
            self.assertEqual(request_line(body), "GET /files/css/a.css?v=3 HTTP/1.1")
        for body in self.upstream_saw("/v1/users/42?x=1"):
            self.assertEqual(request_line(body), "GET /42/users?x=1 HTTP/1.1")

    def test_dot_segments_are_resolved_before_matching(self):
        # Traversal out of /public/ lands on the catch-all, never on the upstream.
        for path in ("/public/../secret", "/public/%2e%2e/secret", "/public/a/../../secret",
                     "/public/%2E%2E/%2e%2E/secret"):
            for proto, send in SENDERS:
                status, _, body = send(self.port, path)
                self.assertEqual((status, body), (404, "not here\n"), "%s %s" % (proto, path))
        # Inside /public/ the upstream gets the normalised form.
        for body in self.upstream_saw("/public/a/./b/../c?q=../x"):
            self.assertEqual(request_line(body), "GET /public/a/c?q=../x HTTP/1.1")
        for body in self.upstream_saw("/public//a///b"):
            self.assertEqual(request_line(body), "GET /public/a/b HTTP/1.1")  # merge_slashes

    def test_rewrite_cannot_escape_the_prefix(self):
        # "/static/../../etc/passwd" normalises to "/etc/passwd": no longer under /static/,
        # so neither the route nor its rewrite applies and nothing reaches the upstream.
        for proto, send in SENDERS:
            status, _, body = send(self.port, "/static/%2e%2e/%2e%2e/etc/passwd")
            self.assertEqual((status, body), (404, "not here\n"), proto)

    def test_encoded_slashes_rejected(self):
        for proto, send in SENDERS:
            status, hdrs, _ = send(self.port, "/public/a%2Fb")
            self.assertEqual(status, 400, proto)
            self.assertEqual(hdrs.get("x-strait-local-reply"), "invalid_path_encoded_slash")
            status, _, _ = send(self.port, "/public/..%5C..%5Csecret")
            self.assertEqual(status, 400, proto)

    def test_host_rewrite(self):
        for body in self.upstream_saw("/lit/x"):
            self.assertEqual(echoed_header(body, "host"), "backend.internal")
        for body in self.upstream_saw("/auto/x"):
            self.assertEqual(echoed_header(body, "host"), "127.0.0.1:%d" % self.up)

    def expect_redirect(self, path, status, location, method="GET"):
        for proto, send in SENDERS:
            got, hdrs, _ = send(self.port, path, method=method, host="web.example:%d" % self.port)
            self.assertEqual(got, status, "%s %s" % (proto, path))
            self.assertEqual(hdrs.get("location"), location, "%s %s" % (proto, path))

    def test_redirects(self):
        self.expect_redirect("/secure/a?b=1", 301, "https://web.example/secure/a?b=1")
        self.expect_redirect("/old/x/y?drop=1", 308, "http://web.example:%d/new/x/y" % self.port)
        self.expect_redirect("/go?keep=1", 302, "https://www.example.org:8443/landing?keep=1")
        self.expect_redirect("/form", 303, "http://web.example:%d/done?ok=1" % self.port, method="POST")
        self.expect_redirect("/temp", 307, "http://b.example:%d/temp" % self.port)

    def test_direct_response(self):
        for proto, send in SENDERS:
            status, hdrs, body = send(self.port, "/teapot")
            self.assertEqual((status, body), (418, "short and stout\n"), proto)
            self.assertEqual(hdrs.get("x-route"), "teapot")
            self.assertEqual(hdrs.get("content-length"), str(len(body)))
            # HEAD: the same head, no body.
            status, hdrs, body = send(self.port, "/teapot", method="HEAD")
            self.assertEqual((status, body), (418, ""), proto)
            # A request body is not needed for the answer and is dropped.
            status, _, body = send(self.port, "/teapot", method="POST", body="x" * 100)
            self.assertEqual((status, body), (418, "short and stout\n"), proto)


if __name__ == "__main__":
    harness.main()
