#!/usr/bin/env python3
"""Circuit breakers (the resilience issue): over max_requests, max_connections or
max_pending_requests a request is refused at once with 503 and a header naming the limit,
counted per cluster in /stats; the limits are for the whole sidecar (all workers)."""

import os
import re
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import free_port, generation, route, wait_until  # noqa: E402
from test_timeouts import black_hole  # noqa: E402

# How long the first request holds its slot: the second request must be sent (after the
# first is seen in flight) before this passes, also on a slow, busy machine.
HOLD_MS = 6000


class CircuitBreakerTest(harness.StraitTestCase):

    def start(self, endpoints, breakers):
        self.port = free_port()
        gen = generation(self.port, {"*": [route("/", "backend", timeout="10s")]}, {"backend": endpoints})
        gen["clusters"][0]["circuit_breakers"] = breakers
        gen["clusters"][0]["connect_timeout"] = "5s"
        config_dir = self.make_config_dir()
        self.write_config(config_dir, "mesh.yaml", gen)
        self.admin = self.start_sidecar("web-1", "web", self.start_control(config_dir), workers=2)

    def stat(self, name, **labels):
        body = harness.http_get(self.admin, "/stats")[2]
        label_text = ",".join('%s="%s"' % kv for kv in [("cluster", "backend")] + sorted(labels.items()))
        return int(re.search(r"^%s\{%s\} (\d+)$" % (name, re.escape(label_text)), body, re.M).group(1))

    def in_background(self, path):
        """Starts a request in a thread; returns a function that joins it and gives the status."""
        result = {}

        def run():
            try:
                result["status"] = harness.http_get(self.port, path, timeout=15)[0]
            except OSError as e:
                result["status"] = repr(e)
        t = threading.Thread(target=run)
        t.start()
        return lambda: (t.join(harness.scaled(20)), result.get("status"))[1]

    def assertOverflow(self, limit):
        status, headers, _ = harness.http_get(self.port, "/second")
        self.assertEqual(status, 503)
        self.assertEqual(headers.get("x-strait-local-reply"), "overflow_" + limit)
        self.assertEqual(self.stat("strait_cluster_overflow_total", limit=limit), 1)

    def test_max_requests(self):
        self.start([self.start_upstream("slow")], {"max_requests": 1})
        first = self.in_background("/first?delay_ms=%d" % HOLD_MS)
        wait_until(lambda: self.stat("strait_cluster_rq_active") == 1, 5, message="first request in flight")
        self.assertOverflow("max_requests")
        self.assertEqual(first(), 200)
        self.assertEqual(harness.http_get(self.port, "/third")[0], 200)

    def test_max_connections(self):
        self.start([self.start_upstream("slow")], {"max_connections": 1})
        first = self.in_background("/first?delay_ms=%d" % HOLD_MS)
        wait_until(lambda: self.stat("strait_cluster_cx_active") == 1 and
                   self.stat("strait_cluster_rq_active") == 1, 5, message="first request holds the connection")
        self.assertOverflow("max_connections")
        self.assertEqual(first(), 200)

    def test_max_pending_requests(self):
        port, keep = black_hole()
        self.addCleanup(lambda: [s.close() for s in keep])
        self.start([port], {"max_pending_requests": 1})
        first = self.in_background("/first")
        wait_until(lambda: self.stat("strait_cluster_rq_pending") == 1, 5, message="first request connecting")
        self.assertOverflow("max_pending_requests")
        self.assertEqual(first(), 503)  # its connect timeout
        wait_until(lambda: self.stat("strait_cluster_rq_pending") == 0, 5, message="pending count back to 0")


    def test_hostile_cluster_name_keeps_stats_well_formed(self):
        # Names are not restricted by validation, so /stats escapes label values: a cluster
        # named with a quote, a backslash and a newline must leave every line parseable.
        hostile = 'we"ird\\na\nme'
        port = free_port()
        gen = generation(port, {"*": [route("/", hostile)]}, {hostile: [self.start_upstream("up")]})
        config_dir = self.make_config_dir()
        self.write_config(config_dir, "mesh.yaml", gen)
        admin = self.start_sidecar("web-1", "web", self.start_control(config_dir), workers=1)
        self.assertEqual(harness.http_get(port, "/")[0], 200)
        body = harness.http_get(admin, "/stats")[2]
        sample = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*",?)*\})? \S+$')
        for line in body.splitlines():
            if line and not line.startswith("#"):
                self.assertRegex(line, sample)
        escaped = 'we\\"ird\\\\na\\nme'
        # The value is not checked: the request's slot may still be held for a moment.
        self.assertRegex(body, r'(?m)^strait_cluster_rq_active\{cluster="%s"\} \d+$' % re.escape(escaped))


if __name__ == "__main__":
    harness.main()
