#!/usr/bin/env python3
"""GOAWAY from an HTTP/2 upstream loses no request. Sidecar "front" sends over h2c to sidecar
"mid". Renaming mid's listener (same address) makes mid drain the connections of the old
listener with GOAWAY while the socket keeps accepting under the new name; front must finish
what mid processed, retry on a new connection what it did not, and fail nothing."""

import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import free_port, route, wait_until  # noqa: E402

RENAMES = 6


class H2GoAwayTest(harness.StraitTestCase):

    def config(self, mid_name):
        return {
            "listeners": [
                {"name": "front", "address": "127.0.0.1", "port": self.front_port,
                 "route_config": "front", "services": ["front"]},
                {"name": mid_name, "address": "127.0.0.1", "port": self.mid_port,
                 "route_config": "mid", "services": ["mid"]}],
            "route_configs": [
                {"name": "front", "virtual_hosts": [{"name": "all", "domains": ["*"], "routes": [route("/", "mid")]}]},
                {"name": "mid", "virtual_hosts": [{"name": "all", "domains": ["*"], "routes": [route("/", "backend")]}]}],
            "clusters": [{"name": "mid", "connect_timeout": "1s", "protocol": "HTTP2"},
                         {"name": "backend", "connect_timeout": "1s"}],
            "load_assignments": [
                {"cluster_name": "mid", "endpoints": [{"address": "127.0.0.1", "port": self.mid_port}]},
                {"cluster_name": "backend", "endpoints": [{"address": "127.0.0.1", "port": self.backend}]}],
        }

    def test_goaway_drain_loses_nothing(self):
        self.backend = self.start_upstream("backend", threads=2)
        self.front_port, self.mid_port = free_port(), free_port()
        config_dir = self.make_config_dir()
        self.write_config(config_dir, "mesh.yaml", self.config("mid-0"))
        control = self.start_control(config_dir)
        mid_admin = self.start_sidecar("mid-1", "mid", control, workers=1)
        front_admin = self.start_sidecar("front-1", "front", control, workers=1)

        load = subprocess.Popen(["h2load", "-D", "8", "-c", "4", "-m", "10",
                                 "http://127.0.0.1:%d/g" % self.front_port],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.addCleanup(lambda: load.poll() is None and load.kill())
        for i in range(1, RENAMES + 1):
            self.write_config(config_dir, "mesh.yaml", self.config("mid-%d" % i))
            wait_until(lambda: '"mid-%d"' % i in harness.http_get(mid_admin, "/config_dump")[2], 10,
                       message="mid applies generation %d" % i)
        out, _ = load.communicate(timeout=60)
        done = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed", out)
        self.assertIsNotNone(done, out)
        self.assertGreater(int(done.group(4)), 1000, out)
        self.assertEqual(done.group(5), "0", out)
        self.assertRegex(out, r"status codes: \d+ 2xx, 0 3xx, 0 4xx, 0 5xx")
        # Each drain made front open a new connection to mid.
        stats = harness.http_get(front_admin, "/stats")[2]
        opened = int(re.search(r"^strait_upstream_cx_total (\d+)$", stats, re.M).group(1))
        self.assertGreater(opened, RENAMES // 2, stats)


if __name__ == "__main__":
    harness.main()
