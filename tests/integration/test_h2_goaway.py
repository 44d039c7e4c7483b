#!/usr/bin/env python3
"""GOAWAY from an HTTP/2 upstream loses no request. Sidecar "front" sends over h2c to sidecar
"mid". Renaming mid's listener (same address) makes mid drain the connections of the old
listener with GOAWAY while the socket keeps accepting under the new name; front must finish
what mid processed, retry on a new connection what it did not, and fail nothing.

The load is h2load with a fixed request count (-n), run back to back from before the first
drain until after the last: every request it starts is answered or counted as failed, so a
failure is a request the proxies lost. (A timed run, -D, counts the streams still in flight
when its timer ends as failed too: 40 with -c 4 -m 10, whatever the proxies did.)"""

import os
import re
import subprocess
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import free_port, route, scaled, wait_until  # noqa: E402

RENAMES = 6
REQUESTS_PER_RUN = 4000  # one h2load run: 4 connections x 10 streams in flight
H2LOAD = ["h2load", "-n", str(REQUESTS_PER_RUN), "-c", "4", "-m", "10"]
SUMMARY = re.compile(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, "
                     r"(\d+) failed, (\d+) errored, (\d+) timeout")
STATUSES = re.compile(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx")


class LoadRuns:
    """h2load runs back to back in a thread until stop(); keeps each run's output."""

    def __init__(self, url):
        self.url, self.outputs, self.running = url, [], False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._proc = None

    def _loop(self):
        while True:
            self._proc = subprocess.Popen(H2LOAD + [self.url], stdout=subprocess.PIPE,
                                          stderr=subprocess.STDOUT, text=True)
            self.running = True
            try:
                out, _ = self._proc.communicate(timeout=scaled(120))  # bounds a hang only
            except subprocess.TimeoutExpired:
                self._proc.kill()
                out = self._proc.communicate()[0] + "\n(h2load killed: no progress)"
            self.running = False
            self.outputs.append(out)
            if self._stop.is_set():
                return

    def start(self):
        self._thread.start()

    def stop(self):
        """Lets the current run finish (all its requests answered), then returns."""
        self._stop.set()
        self._thread.join()

    def kill(self):
        self._stop.set()
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()


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
            "clusters": [{"name": "mid", "connect_timeout": "5s", "protocol": "HTTP2"},
                         {"name": "backend", "connect_timeout": "5s"}],
            "load_assignments": [
                {"cluster_name": "mid", "endpoints": [{"address": "127.0.0.1", "port": self.mid_port}]},
                {"cluster_name": "backend", "endpoints": [{"address": "127.0.0.1", "port": self.backend}]}],
        }

    def stat(self, admin, name):
        m = re.search(r"^%s (\d+)$" % name, harness.http_get(admin, "/stats")[2], re.M)
        return int(m.group(1)) if m else 0

    def test_goaway_drain_loses_nothing(self):
        self.backend = self.start_upstream("backend", threads=2)
        self.front_port, self.mid_port = free_port(), free_port()
        config_dir = self.make_config_dir()
        self.write_config(config_dir, "mesh.yaml", self.config("mid-0"))
        control = self.start_control(config_dir)
        mid_admin = self.start_sidecar("mid-1", "mid", control, workers=1)
        front_admin = self.start_sidecar("front-1", "front", control, workers=1)

        load = LoadRuns("http://127.0.0.1:%d/g" % self.front_port)
        self.addCleanup(load.kill)
        load.start()
        wait_until(lambda: self.stat(front_admin, "strait_downstream_rq_started_total") >= 100,
                   message="load flowing through front and mid")
        during_a_run = 0
        for i in range(1, RENAMES + 1):
            self.write_config(config_dir, "mesh.yaml", self.config("mid-%d" % i))
            wait_until(lambda: '"mid-%d"' % i in harness.http_get(mid_admin, "/config_dump")[2], 10,
                       message="mid applies generation %d" % i)
            during_a_run += load.running
        load.stop()

        sys.stderr.write("goaway: %d drains (%d seen applied during an h2load run), %d runs of "
                         "%d requests\n" % (RENAMES, during_a_run, len(load.outputs), REQUESTS_PER_RUN))
        for run, out in enumerate(load.outputs, 1):
            summary = SUMMARY.search(out)
            self.assertIsNotNone(summary, "h2load run %d printed no summary:\n%s" % (run, out))
            total, _, done, succeeded, failed, errored, timeout = (int(g) for g in summary.groups())
            self.assertEqual((done, succeeded, failed, errored, timeout),
                             (total, total, 0, 0, 0),
                             "h2load run %d: %d of %d requests lost while mid drained "
                             "(done, succeeded, failed, errored, timeout):\n%s"
                             % (run, total - succeeded, total, out))
            statuses = STATUSES.search(out)
            self.assertEqual(statuses and int(statuses.group(1)), total,
                             "h2load run %d: not every response was 2xx:\n%s" % (run, out))
        # Each drain made front open a new connection to mid.
        opened = self.stat(front_admin, "strait_upstream_cx_total")
        self.assertGreater(opened, RENAMES // 2, "front opened %d connections to mid" % opened)


if __name__ == "__main__":
    harness.main()
