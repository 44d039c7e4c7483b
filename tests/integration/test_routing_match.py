#!/usr/bin/env python3
"""Route matching (routing-policy issue): case-insensitive paths, exact and regex paths,
header matches (exact, present, absent, inverted), query parameters, methods and the
client's address, over HTTP/1.1 (http.client) and HTTP/2 (curl --http2-prior-knowledge).
Each route names itself in the response (x-route: %ROUTE_NAME%)."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from h2curl import h2_request  # noqa: E402
from harness import free_port, generation  # noqa: E402


def r(name, match, cluster="backend"):
    return {"name": name, "match": match, "route": {"cluster": cluster}}


ROUTES = [
    r("elsewhere", {"prefix": "/", "source_cidrs": ["10.0.0.0/8", "fd00::/8"]}),
    r("exact", {"path": "/Health", "case_insensitive": True}),
    r("regex", {"safe_regex": "/v[0-9]+/items/[a-z]+"}),
    r("ci-prefix", {"prefix": "/Docs/", "case_insensitive": True}),
    r("write", {"prefix": "/api/", "methods": ["POST", "PUT"]}),
    r("canary", {"prefix": "/api/", "headers": [{"name": "x-canary", "exact_match": "1"}]}),
    r("anonymous", {"prefix": "/api/", "headers": [{"name": "authorization", "present_match": False}]}),
    r("not-beta", {"prefix": "/api/", "headers": [
        {"name": "x-tier", "safe_regex_match": "beta.*", "invert_match": True}]}),
    r("query-exact", {"prefix": "/q", "query_parameters": [{"name": "tab", "exact_match": "a b"}]}),
    r("query-regex", {"prefix": "/q", "query_parameters": [{"name": "id", "safe_regex_match": "[0-9]+"}]}),
    r("query-present", {"prefix": "/q", "query_parameters": [{"name": "debug", "present_match": True}]}),
    r("local", {"prefix": "/", "source_cidrs": ["127.0.0.0/8"], "methods": ["GET", "POST", "PUT"]}),
]


class RoutingMatchTest(harness.StraitTestCase):

    def setUp(self):
        super().setUp()
        up = self.start_upstream("backend")
        self.port = free_port()
        gen = generation(self.port, {"*": ROUTES}, {"backend": [up]})
        gen["route_configs"][0]["response_headers_to_add"] = [{"key": "x-route", "value": "%ROUTE_NAME%"}]
        config_dir = self.make_config_dir()
        self.write_config(config_dir, "mesh.yaml", gen)
        self.start_sidecar("web-1", "web", self.start_control(config_dir))

    def expect(self, name, path, method="GET", headers=None):
        for proto, send in (("h1", harness.http_request), ("h2", h2_request)):
            status, hdrs, body = send(self.port, path, method=method, headers=headers,
                                      body="x" if method in ("POST", "PUT") else None)
            self.assertEqual(status, 200, "%s %s %s: %s" % (proto, method, path, body))
            self.assertEqual(hdrs.get("x-route"), name, "%s %s %s" % (proto, method, path))

    def test_paths(self):
        self.expect("exact", "/health")
        self.expect("exact", "/HEALTH")
        self.expect("local", "/healthz")  # exact is exact
        self.expect("regex", "/v2/items/abc")
        self.expect("local", "/v2/items/ABC")  # the regex is case-sensitive and a full match
        self.expect("ci-prefix", "/docs/intro")
        self.expect("ci-prefix", "/DOCS/intro")

    def test_methods_and_headers(self):
        self.expect("write", "/api/x", method="POST")
        self.expect("canary", "/api/x", headers={"x-canary": "1", "authorization": "t"})
        self.expect("anonymous", "/api/x")
        self.expect("not-beta", "/api/x", headers={"authorization": "t", "x-tier": "gold"})
        self.expect("local", "/api/x", headers={"authorization": "t", "x-tier": "beta-2"})

    def test_query_parameters(self):
        self.expect("query-exact", "/q?tab=a%20b")
        self.expect("query-exact", "/q?x=1&tab=a%20b")
        self.expect("query-regex", "/q?id=42")
        self.expect("query-present", "/q?id=4x&debug")
        self.expect("local", "/q?id=4x")
        self.expect("local", "/q")

    def test_client_address(self):
        # The first route accepts only 10/8 and fd00::/8: a loopback client never matches it,
        # and the last route (127/8) catches what nothing else did.
        self.expect("local", "/anything")
        # x-forwarded-for is not believed on a listener that trusts no proxy in front of it.
        self.expect("local", "/anything", headers={"x-forwarded-for": "10.1.2.3"})


class TrustedProxyTest(RoutingMatchTest):
    """The same routes behind a listener that trusts one proxy in front of it: the client
    address is the rightmost x-forwarded-for entry (what that proxy appended)."""

    def setUp(self):
        harness.StraitTestCase.setUp(self)
        up = self.start_upstream("backend")
        self.port = free_port()
        gen = generation(self.port, {"*": ROUTES}, {"backend": [up]})
        gen["listeners"][0]["http_options"] = {"xff_num_trusted_hops": 1}
        gen["route_configs"][0]["response_headers_to_add"] = [{"key": "x-route", "value": "%ROUTE_NAME%"}]
        config_dir = self.make_config_dir()
        self.write_config(config_dir, "mesh.yaml", gen)
        self.start_sidecar("web-1", "web", self.start_control(config_dir))

    def test_client_address(self):
        self.expect("elsewhere", "/anything", headers={"x-forwarded-for": "10.1.2.3"})
        # What the client wrote before the trusted proxy's entry is not believed.
        self.expect("local", "/anything", headers={"x-forwarded-for": "10.1.2.3, 127.0.0.9"})
        # No x-forwarded-for, or garbage: the TCP peer.
        self.expect("local", "/anything")
        self.expect("local", "/anything", headers={"x-forwarded-for": "bogus"})

    def test_no_route_is_404(self):
        for send in (harness.http_request, h2_request):
            status, hdrs, _ = send(self.port, "/zzz", method="DELETE")
            self.assertEqual(status, 404)
            self.assertEqual(hdrs.get("x-strait-local-reply"), "route_not_found")


if __name__ == "__main__":
    harness.main()
