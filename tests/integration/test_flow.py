#!/usr/bin/env python3
"""Requests flow through the sidecar: forwarding headers, local replies (404 / 503 / 502),
round robin across endpoints."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import free_port, generation, header, http_get, route  # noqa: E402

HOST = "svc.local"


class FlowTest(harness.StraitTestCase):

    def setUp(self):
        super().setUp()
        self.port_a = self.start_upstream("backend-a")
        self.port_b = self.start_upstream("backend-b")
        closed_port = free_port()  # nothing listens there: connect is refused
        self.listener_port = free_port()
        gen = generation(self.listener_port, {
            (HOST, HOST + ":%d" % self.listener_port): [
                route("/a", "only-a", response_headers_to_add=[header("x-route", "a")]),
                # 2 s: the 50 ms request below must never time out on a slow, busy machine;
                # the 10 s one always does.
                route("/slow", "only-a", timeout="2s"),
                route("/rr", "both"),
                route("/empty", "empty"),
                route("/closed", "closed"),
            ]}, {
            "only-a": [self.port_a],
            "both": [self.port_a, self.port_b],
            "empty": [],
            "closed": [closed_port],
        })
        config_dir = self.make_config_dir()
        self.write_config(config_dir, "mesh.yaml", gen)
        self.control_port = self.start_control(config_dir)
        self.admin = self.start_sidecar("web-1", "web", self.control_port)

    def get(self, path, host=HOST, headers=None):
        return http_get(self.listener_port, path, host=host, headers=headers)

    def test_request_reaches_upstream_with_forwarding_headers(self):
        status, headers, body = self.get("/a/hello?q=1")
        self.assertEqual(status, 200, body)
        self.assertEqual(headers.get("x-upstream-name"), "backend-a")
        self.assertEqual(headers.get("x-route"), "a")
        lines = body.lower().splitlines()
        self.assertEqual(lines[0], "get /a/hello?q=1 http/1.1")
        self.assertIn("x-forwarded-for: 127.0.0.1", lines)
        self.assertIn("x-forwarded-proto: http", lines)
        request_ids = [l for l in lines if l.startswith("x-request-id: ")]
        self.assertEqual(len(request_ids), 1, body)
        self.assertGreater(len(request_ids[0]), len("x-request-id: "))

    def test_request_body_and_upstream_status_pass_through(self):
        status, _, body = harness.http_request(self.listener_port, "/a/post?status=201",
                                               method="POST", host=HOST, body="ping-body")
        self.assertEqual(status, 201)
        self.assertTrue(body.endswith("\n\nping-body"), body)

    def test_unknown_host_is_404(self):
        status, _, _ = self.get("/a/hello", host="other.local")
        self.assertEqual(status, 404)

    def test_unknown_route_is_404(self):
        status, _, _ = self.get("/nowhere")
        self.assertEqual(status, 404)

    def test_cluster_without_endpoints_is_503(self):
        status, _, _ = self.get("/empty")
        self.assertEqual(status, 503)

    def test_refused_upstream_is_502(self):
        status, _, _ = self.get("/closed")
        self.assertEqual(status, 502)

    def test_slow_upstream_is_504_after_route_timeout(self):
        status, _, _ = self.get("/slow?delay_ms=10000")
        self.assertEqual(status, 504)
        # A delay inside the timeout is fine.
        status, headers, _ = self.get("/slow?delay_ms=50")
        self.assertEqual((status, headers.get("x-upstream-name")), (200, "backend-a"))

    def test_round_robin_alternates_on_one_connection(self):
        # One downstream connection stays on one worker, whose balancer alternates.
        client = harness.KeepAliveClient(self.listener_port)
        self.addCleanup(client.close)
        names = []
        for _ in range(10):
            status, headers, body = client.get("/rr", headers={"Host": HOST})
            self.assertEqual(status, 200, body)
            names.append(headers["x-upstream-name"])
        self.assertEqual(set(names), {"backend-a", "backend-b"}, names)
        for first, second in zip(names, names[1:]):
            self.assertNotEqual(first, second, names)

    def test_round_robin_across_connections(self):
        names = [self.get("/rr")[1].get("x-upstream-name") for _ in range(20)]
        self.assertEqual(set(names), {"backend-a", "backend-b"}, names)


if __name__ == "__main__":
    harness.main()
