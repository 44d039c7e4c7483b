#!/usr/bin/env python3
"""Endpoint changes without disruption (the resilience issue): an endpoint removed by a new
generation leaves the rotation at once while its in-flight requests finish; an added one
joins the rotation at once."""

import concurrent.futures
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import free_port, generation, route, wait_until  # noqa: E402


class EndpointChangeTest(harness.StraitTestCase):

    def apply(self, endpoints):
        before = harness.live_version(self.admin) if hasattr(self, "admin") else None
        gen = generation(self.port, {"*": [route("/", "backend", timeout="10s")]}, {"backend": endpoints})
        self.write_config(self.config_dir, "mesh.yaml", gen)
        if before is not None:
            wait_until(lambda: harness.live_version(self.admin) != before, 10, message="new generation live")

    def names(self, n):
        return [harness.http_get(self.port, "/n%d" % i)[1]["x-upstream-name"] for i in range(n)]

    def test_removed_endpoint_loses_no_in_flight_request(self):
        a = self.start_upstream("a", threads=2)
        b = self.start_upstream("b", threads=2)
        self.port = free_port()
        self.config_dir = self.make_config_dir()
        self.apply([a, b])
        self.admin = self.start_sidecar("web-1", "web", self.start_control(self.config_dir))

        def active():
            body = harness.http_get(self.admin, "/stats")[2]
            return int(re.search(r'^strait_cluster_rq_active\{cluster="backend"\} (\d+)$', body, re.M).group(1))

        with concurrent.futures.ThreadPoolExecutor(max_workers=20) as pool:
            # 5 s: the new generation must go live while they are still in flight, also on a
            # slow, busy machine.
            futures = [pool.submit(harness.http_get, self.port, "/slow%d?delay_ms=5000" % i, None, None, 20)
                       for i in range(20)]
            wait_until(lambda: active() == 20, 10, message="20 requests in flight")
            self.apply([a])  # b leaves while about half of them are on it
            self.assertEqual(set(self.names(10)), {"a"})
            results = [f.result() for f in futures]
        self.assertEqual([r[0] for r in results], [200] * 20)
        self.assertEqual({r[1]["x-upstream-name"] for r in results}, {"a", "b"})

        c = self.start_upstream("c")
        self.apply([a, c])
        self.assertEqual(set(self.names(10)), {"a", "c"})


if __name__ == "__main__":
    harness.main()
