#!/usr/bin/env python3
"""Retries (the resilience issue): a failed attempt is retried on another endpoint per the
route's retry_policy, the request body is replayed, x-strait-attempt-count tells the upstream
which attempt it is, a body too large to replay is not retried, and the retry budget stops a
retry storm."""

import concurrent.futures
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import free_port, generation, route  # noqa: E402


def attempt_of(body):
    m = re.search(r"^x-strait-attempt-count: (\d+)$", body, re.M)
    return int(m.group(1)) if m else None


class RetryTest(harness.StraitTestCase):

    def start(self, endpoints, retry_policy=None, cluster_extra=None):
        """One listener, one route to cluster 'backend' made of `endpoints` (ports)."""
        self.port = free_port()
        extra = {"retry_policy": retry_policy} if retry_policy else {}
        gen = generation(self.port, {"*": [route("/", "backend", **extra)]}, {"backend": endpoints})
        gen["clusters"][0].update(cluster_extra or {})
        config_dir = self.make_config_dir()
        self.write_config(config_dir, "mesh.yaml", gen)
        self.admin = self.start_sidecar("web-1", "web", self.start_control(config_dir))

    def stat(self, pattern):
        body = harness.http_get(self.admin, "/stats")[2]
        return int(re.search(r"^%s (\d+)$" % re.escape(pattern), body, re.M).group(1))

    def test_retry_succeeds_on_the_second_endpoint(self):
        bad = self.start_upstream("bad", extra_args=["--status", "503"])
        good = self.start_upstream("good")
        self.start([bad, good], {"retry_on": ["5xx"], "num_retries": 1})
        attempts = []
        for i in range(20):
            status, headers, body = harness.http_get(self.port, "/r%d" % i)
            self.assertEqual(status, 200, body)
            self.assertEqual(headers["x-upstream-name"], "good")
            attempts.append(attempt_of(body))
        # First attempts that hit the failing endpoint succeed on the second one.
        self.assertIn(2, attempts)
        self.assertTrue(set(attempts) <= {1, 2}, attempts)
        self.assertGreater(self.stat('strait_cluster_retry_total{cluster="backend"}'), 0)

    def test_request_body_is_replayed(self):
        bad = self.start_upstream("bad", extra_args=["--status", "503"])
        good = self.start_upstream("good")
        self.start([bad, good], {"retry_on": ["gateway-error"], "num_retries": 2})
        payload = "".join("line %04d\n" % i for i in range(500))  # 5 KiB
        for _ in range(4):
            status, headers, body = harness.http_request(self.port, "/upload", method="POST", body=payload)
            self.assertEqual(status, 200)
            self.assertEqual(headers["x-upstream-body-bytes"], str(len(payload)))
            self.assertTrue(body.endswith(payload))

    def test_fails_first_then_succeeds_with_attempt_count(self):
        flaky = self.start_upstream("flaky", extra_args=["--fail-first", "2"])
        self.start([flaky], {"retry_on": ["retriable-status-codes"], "retriable_status_codes": [503],
                             "num_retries": 3, "base_interval": "0.005s"})
        status, _, body = harness.http_get(self.port, "/once")
        self.assertEqual(status, 200)
        self.assertEqual(attempt_of(body), 3)

    def test_retries_run_out(self):
        flaky = self.start_upstream("flaky", extra_args=["--fail-first", "5"])
        self.start([flaky], {"retry_on": ["5xx"], "num_retries": 2, "base_interval": "0.005s"})
        status, _, body = harness.http_get(self.port, "/once")
        self.assertEqual(status, 503)  # the last attempt's own response
        self.assertEqual(attempt_of(body), 3)

    def test_no_retry_without_a_policy(self):
        flaky = self.start_upstream("flaky", extra_args=["--fail-first", "1"])
        self.start([flaky])
        status, _, body = harness.http_get(self.port, "/once")
        self.assertEqual(status, 503)
        self.assertIsNone(attempt_of(body))
        self.assertEqual(harness.http_get(self.port, "/twice")[0], 200)

    def test_connect_failure_goes_to_another_endpoint(self):
        dead = free_port()  # nothing listens there
        good = self.start_upstream("good")
        self.start([dead, good], {"retry_on": ["connect-failure"], "num_retries": 1})
        for i in range(10):
            status, headers, _ = harness.http_get(self.port, "/c%d" % i)
            self.assertEqual(status, 200)
            self.assertEqual(headers["x-upstream-name"], "good")

    def test_reset_is_retried(self):
        # The first attempt asks for a reset (x-upstream-reset); the route drops that header
        # from retries... it cannot, so the upstream resets every attempt and the client gets
        # 502 after num_retries + 1 attempts, each on a new connection.
        up = self.start_upstream("resetting")
        self.start([up], {"retry_on": ["reset"], "num_retries": 2, "base_interval": "0.005s"})
        status, headers, _ = harness.http_get(self.port, "/x", headers={"x-upstream-reset": "1"})
        self.assertEqual(status, 502)
        self.assertEqual(self.stat('strait_cluster_retry_total{cluster="backend"}'), 2)

    def test_body_too_large_to_replay_is_not_retried(self):
        bad = self.start_upstream("bad", extra_args=["--status", "503"])
        self.start([bad], {"retry_on": ["5xx"], "num_retries": 3, "max_replay_body_bytes": 1024})
        status, headers, body = harness.http_request(self.port, "/big", method="POST", body="x" * 8192)
        self.assertEqual(status, 503)
        self.assertEqual(headers["x-upstream-name"], "bad")
        self.assertEqual(attempt_of(body), 1)
        # A small body on the same route is retried (and fails again: only one endpoint).
        status, _, body = harness.http_request(self.port, "/small", method="POST", body="x" * 100)
        self.assertEqual(attempt_of(body), 4)

    def test_budget_stops_a_retry_storm(self):
        bad = self.start_upstream("bad", extra_args=["--status", "503"], threads=2)
        self.start([bad], {"retry_on": ["5xx"], "num_retries": 3, "base_interval": "0.001s"},
                   {"circuit_breakers": {"retry_budget": {"budget_percent": 10, "min_retry_concurrency": 1}}})

        def call(i):
            status, _, body = harness.http_get(self.port, "/storm%d?delay_ms=200" % i, timeout=20)
            return status, attempt_of(body)

        with concurrent.futures.ThreadPoolExecutor(max_workers=30) as pool:
            results = list(pool.map(call, range(30)))
        self.assertTrue(all(status == 503 for status, _ in results))
        attempts = sum(a for _, a in results)
        # Without a budget: 30 × 4 = 120 attempts. With 10% of ~30 active (3 in flight),
        # most retries are refused.
        self.assertLess(attempts, 100)
        self.assertGreater(self.stat('strait_cluster_overflow_total{cluster="backend",limit="max_retries"}'), 0)


if __name__ == "__main__":
    harness.main()
