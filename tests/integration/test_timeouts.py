#!/usr/bin/env python3
"""Timeouts of the resilience issue, each with the status and reason it must give: route
timeout, per-try timeout, route idle timeout, maximum stream duration (504) and the
cluster connect timeout (503)."""

import os
import re
import socket
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import free_port, generation, route  # noqa: E402


def black_hole():
    """A listening socket whose accept queue is full and never drained: a new connection's
    SYN is dropped, so connecting to it hangs (loopback-only stand-in for a lost host).
    Returns (port, sockets to keep open)."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(0)
    keep = [srv]
    for _ in range(3):  # fill the queue (backlog 0 still admits one or two)
        c = socket.socket()
        c.setblocking(False)
        c.connect_ex(srv.getsockname())
        keep.append(c)
    return srv.getsockname()[1], keep


class TimeoutTest(harness.StraitTestCase):

    def start(self, endpoints, cluster_extra=None, **route_extra):
        self.port = free_port()
        gen = generation(self.port, {"*": [route("/", "backend", **route_extra)]}, {"backend": endpoints})
        gen["clusters"][0].update(cluster_extra or {})
        config_dir = self.make_config_dir()
        self.write_config(config_dir, "mesh.yaml", gen)
        self.admin = self.start_sidecar("web-1", "web", self.start_control(config_dir))

    def assertLocalReply(self, path, status, reason, headers=None):
        got, hdrs, body = harness.http_get(self.port, path, headers=headers, timeout=15)
        self.assertEqual(got, status, body)
        self.assertEqual(hdrs.get("x-strait-local-reply"), reason)

    def test_route_timeout(self):
        # Timeouts a request inside them can meet on a slow, busy machine (2 s for a 10 ms
        # answer), and delays far beyond them for the requests that must time out.
        self.start([self.start_upstream("slow")], timeout="2s")
        self.assertLocalReply("/?delay_ms=10000", 504, "upstream_response_timeout")
        self.assertEqual(harness.http_get(self.port, "/?delay_ms=10")[0], 200)

    def test_per_try_timeout(self):
        self.start([self.start_upstream("slow")], timeout="5s",
                   retry_policy={"retry_on": ["gateway-error"], "num_retries": 1, "per_try_timeout": "0.2s",
                                 "base_interval": "0.001s"})
        self.assertLocalReply("/?delay_ms=2000", 504, "upstream_per_try_timeout")
        body = harness.http_get(self.admin, "/stats")[2]
        self.assertRegex(body, r'strait_cluster_retry_total\{cluster="backend"\} 1\n')

    def test_route_idle_timeout(self):
        self.start([self.start_upstream("slow")], timeout="10s", idle_timeout="0.3s")
        self.assertLocalReply("/?delay_ms=3000", 504, "stream_idle_timeout")

    def test_max_stream_duration(self):
        self.start([self.start_upstream("slow")], timeout="20s", max_stream_duration="2s")
        self.assertLocalReply("/?delay_ms=10000", 504, "max_stream_duration_exceeded")
        self.assertEqual(harness.http_get(self.port, "/?delay_ms=10")[0], 200)

    def test_connect_timeout(self):
        port, keep = black_hole()
        self.addCleanup(lambda: [s.close() for s in keep])
        self.start([port], {"connect_timeout": "0.3s"}, timeout="10s")
        self.assertLocalReply("/", 503, "upstream_connect_timeout")
        body = harness.http_get(self.admin, "/stats")[2]
        self.assertGreaterEqual(int(re.search(r"^strait_upstream_cx_connect_fail_total (\d+)$", body, re.M).group(1)), 1)


if __name__ == "__main__":
    harness.main()
