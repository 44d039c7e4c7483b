#!/usr/bin/env python3
"""HTTP/2 to upstreams: sidecar "front" sends to sidecar "mid" over h2c (cluster protocol
HTTP2), "mid" forwards to an HTTP/1.1 upstream. Checks translation both ways, bodies, and
that many concurrent requests share a few multiplexed connections."""

import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import free_port, header, listener, route  # noqa: E402



class H2UpstreamTest(harness.StraitTestCase):

    def setUp(self):
        super().setUp()
        upstream = self.start_upstream("backend")
        self.front_port, self.mid_port = free_port(), free_port()
        gen = {
            "listeners": [listener("front", self.front_port, "front-routes", "front"),
                          listener("mid", self.mid_port, "mid-routes", "mid")],
            "route_configs": [
                {"name": "front-routes", "virtual_hosts": [{"name": "all", "domains": ["*"], "routes": [
                    route("/", "mid", response_headers_to_add=[header("x-hop", "front")])]}]},
                {"name": "mid-routes", "virtual_hosts": [{"name": "all", "domains": ["*"], "routes": [
                    route("/", "backend", response_headers_to_add=[header("x-hop-mid", "mid")])]}]},
            ],
            "clusters": [{"name": "mid", "connect_timeout": "1s", "protocol": "HTTP2"},
                         {"name": "backend", "connect_timeout": "1s"}],
            "load_assignments": [
                {"cluster_name": "mid", "endpoints": [{"address": "127.0.0.1", "port": self.mid_port}]},
                {"cluster_name": "backend", "endpoints": [{"address": "127.0.0.1", "port": upstream}]}],
        }
        config_dir = self.make_config_dir()
        self.write_config(config_dir, "mesh.yaml", gen)
        control = self.start_control(config_dir)
        self.mid_admin = self.start_sidecar("mid-1", "mid", control)
        self.front_admin = self.start_sidecar("front-1", "front", control)

    def test_http1_client_through_h2_hop(self):
        status, headers, body = harness.http_get(self.front_port, "/x?y=1", host="svc.local")
        self.assertEqual(status, 200, body)
        self.assertEqual(headers.get("x-hop"), "front")
        self.assertEqual(headers.get("x-hop-mid"), "mid")
        lines = body.lower().splitlines()
        self.assertEqual(lines[0], "get /x?y=1 http/1.1")
        self.assertIn("host: svc.local", lines)
        # Both hops appended the client address.
        self.assertIn("x-forwarded-for: 127.0.0.1, 127.0.0.1", lines)

    def test_bodies_both_ways(self):
        payload = "p" * (2 << 20)
        status, _, body = harness.http_request(self.front_port, "/up", method="POST", body=payload,
                                               host="svc.local", timeout=30)
        self.assertEqual(status, 200)
        self.assertTrue(body.endswith(payload))
        r = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{size_download}",
                            "http://127.0.0.1:%d/down?size=30000000" % self.front_port],
                           capture_output=True, text=True, timeout=harness.scaled(60))
        self.assertEqual(r.stdout, "30000000", r.stderr)

    def test_many_requests_share_few_connections(self):
        r = subprocess.run(["h2load", "-n", "3000", "-c", "4", "-m", "25",
                            "http://127.0.0.1:%d/load" % self.front_port],
                           capture_output=True, text=True, timeout=harness.scaled(120))
        self.assertIn("3000 succeeded, 0 failed", r.stdout, r.stdout + r.stderr)
        _, _, stats = harness.http_get(self.front_admin, "/stats")
        opened = int(re.search(r"^strait_upstream_cx_total (\d+)$", stats, re.M).group(1))
        # 100 concurrent requests, multiplexed: a handful of connections, not one per request.
        self.assertLessEqual(opened, 8, stats)


if __name__ == "__main__":
    harness.main()
