#!/usr/bin/env python3
"""Generations are atomic on the data path. Generation N routes to cluster gen-N, whose only
endpoint replies "N", and adds the response header x-generation: N. While clients send
requests continuously on keep-alive connections, the test publishes many generations; any
response whose body differs from its x-generation header would prove a request saw parts
of two generations, and no request may fail across a switch."""

import os
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import free_port, generation, header, route, wait_until  # noqa: E402

GENERATIONS = 55
CLIENTS = 2


class Traffic:
    """Client threads, each on one keep-alive connection, recording every outcome."""

    def __init__(self, port):
        self.port = port
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.requests = 0
        self.failures = []       # (kind, detail)
        self.mismatches = []     # (x-generation, body)
        self.seen = set()        # generations observed
        self.threads = [threading.Thread(target=self.loop, daemon=True) for _ in range(CLIENTS)]

    def start(self):
        for t in self.threads:
            t.start()

    def join(self):
        self.stop.set()
        for t in self.threads:
            t.join(harness.scaled(10))

    def record(self, status, headers, body):
        gen = headers.get("x-generation")
        with self.lock:
            self.requests += 1
            if status != 200:
                self.failures.append(("status %d" % status, body[:200]))
            elif gen is None or gen != body:
                self.mismatches.append((gen, body[:50]))
            else:
                self.seen.add(int(gen))

    def loop(self):
        client = harness.KeepAliveClient(self.port)
        try:
            while not self.stop.is_set():
                try:
                    self.record(*client.get("/"))
                except Exception as e:  # noqa: BLE001 - every error is a test failure
                    with self.lock:
                        self.failures.append(("exception", repr(e)))
                    client.reconnect()
        finally:
            client.close()


class AtomicityTest(harness.StraitTestCase):

    def config(self, n):
        gen = generation(self.listener_port, {"*": [
            route("/", "gen-%d" % n, response_headers_to_add=[header("x-generation", n)])]},
            {"gen-%d" % n: [self.upstreams[n]]})
        return gen

    def test_every_response_comes_from_one_generation(self):
        self.upstreams = {n: self.start_upstream("gen-%d" % n, reply=str(n))
                          for n in range(GENERATIONS + 1)}
        self.listener_port = free_port()
        config_dir = self.make_config_dir()
        self.write_config(config_dir, "mesh.yaml", self.config(0))
        control = self.start_control(config_dir)
        admin = self.start_sidecar("web-1", "web", control, workers=2)

        traffic = Traffic(self.listener_port)
        traffic.start()
        self.addCleanup(traffic.join)
        wait_until(lambda: 0 in traffic.seen, 10, message="traffic on generation 0")

        for n in range(1, GENERATIONS + 1):
            self.write_config(config_dir, "mesh.yaml", self.config(n))
            wait_until(lambda: self.cluster_live(admin, n), 10,
                       message="generation %d live on the sidecar" % n)
            wait_until(lambda: n in traffic.seen or traffic.failures or traffic.mismatches, 10,
                       message="traffic on generation %d" % n)
            if traffic.failures or traffic.mismatches:
                break
        traffic.join()
        sys.stderr.write("atomicity: %d requests, %d generations seen, %d failures, "
                         "%d mixed\n" % (traffic.requests, len(traffic.seen),
                                          len(traffic.failures), len(traffic.mismatches)))

        self.assertEqual(traffic.failures[:5], [], "%d failed of %d requests"
                         % (len(traffic.failures), traffic.requests))
        self.assertEqual(traffic.mismatches[:5], [], "%d mixed responses"
                         % len(traffic.mismatches))
        self.assertGreaterEqual(len(traffic.seen), 50, sorted(traffic.seen))
        final = harness.straitctl_status(control)
        self.assertEqual(final["sidecars"]["web-1"]["acked"], final["version"])
        self.assertEqual(final["sidecars"]["web-1"]["nacked"], "")

    @staticmethod
    def cluster_live(admin, n):
        dump = harness.admin_json(admin)
        names = [c["name"] for c in dump["generation"].get("clusters", [])]
        return names == ["gen-%d" % n]


if __name__ == "__main__":
    harness.main()
