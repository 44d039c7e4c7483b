#!/usr/bin/env python3
"""Outlier detection (Cluster.outlier_detection): an endpoint that keeps answering 5xx is
ejected (traffic goes to the other endpoint) and returns after the ejection time; an endpoint
that refuses connections is ejected by the connect-failure detector; /clusters and /stats
show it."""

import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import free_port, generation, http_get, route, wait_until  # noqa: E402
from test_health_check import (endpoint_state, set_upstream_status,  # noqa: E402
                               stat)

HOST = "svc.local"
EJECTION_S = 4  # od-5xx's base ejection time


class OutlierTest(harness.StraitTestCase):

    def setUp(self):
        super().setUp()
        self.port_a = self.start_upstream("backend-a")
        self.port_b = self.start_upstream("backend-b")
        self.dead_port = free_port()
        self.listener_port = free_port()
        gen = generation(self.listener_port, {
            (HOST, HOST + ":%d" % self.listener_port): [
                route("/5xx", "od-5xx"),
                route("/connect", "od-connect"),
            ]}, {
            "od-5xx": [self.port_a, self.port_b],
            "od-connect": [self.port_b, self.dead_port],
        })
        detection = {
            "od-5xx": {"consecutive_5xx": 3, "base_ejection_time": "%ds" % EJECTION_S,
                       "max_ejection_percent": 50},
            "od-connect": {"consecutive_5xx": 0, "consecutive_gateway_failure": 0,
                           "consecutive_local_origin_failure": 2, "base_ejection_time": "30s"},
        }
        for c in gen["clusters"]:
            c["outlier_detection"] = detection[c["name"]]
        config_dir = self.make_config_dir()
        self.write_config(config_dir, "mesh.yaml", gen)
        self.control_port = self.start_control(config_dir)
        self.admin = self.start_sidecar("web-1", "web", self.control_port)

    def state(self, cluster, port):
        return endpoint_state(self.admin, cluster, port)

    def send_until_ejected(self, path, cluster, port):
        """Sends requests until the endpoint shows as ejected; returns its /clusters state then
        and the monotonic time before that state was read (the ejection ends no earlier than
        that time plus ejected_remaining_ms)."""
        def ejected():
            http_get(self.listener_port, path, host=HOST)
            read_at = time.monotonic()
            state = self.state(cluster, port)
            return (state, read_at) if state["ejected"] else None
        return wait_until(ejected, 10.0, message="%s 127.0.0.1:%d to be ejected" % (cluster, port))

    def test_5xx_endpoint_is_ejected_and_returns(self):
        set_upstream_status(self.port_a, 503)
        state, read_at = self.send_until_ejected("/5xx", "od-5xx", self.port_a)
        self.assertEqual(state["health"], "ejected")
        self.assertEqual(state["ejections"], 1)
        self.assertGreater(state["ejected_remaining_ms"], 0)
        self.assertLessEqual(state["ejected_remaining_ms"], EJECTION_S * 1000)
        ejected_until = read_at + state["ejected_remaining_ms"] / 1000.0
        self.assertFalse(self.state("od-5xx", self.port_b)["ejected"])
        self.assertGreaterEqual(stat(self.admin, "strait_outlier_ejections_total"), 1)
        # While a is ejected (still answering 503), every request goes to b. Requests sent
        # after the ejection may have ended prove nothing (a would rightly get traffic again),
        # so a slow machine checks fewer of them rather than failing.
        checked = 0
        while checked < 10 and time.monotonic() < ejected_until - 0.5:
            status, headers, _ = http_get(self.listener_port, "/5xx", host=HOST)
            self.assertEqual((status, headers.get("x-upstream-name")), (200, "backend-b"))
            checked += 1
        self.assertGreater(checked, 0, "no request fit in the %d s ejection" % EJECTION_S)

        set_upstream_status(self.port_a, 0)
        wait_until(lambda: self.state("od-5xx", self.port_a)["health"] == "healthy", EJECTION_S + 5,
                   message="ejection to end")

        def reached_a():
            status, headers, _ = http_get(self.listener_port, "/5xx", host=HOST)
            return status == 200 and headers.get("x-upstream-name") == "backend-a"
        wait_until(reached_a, 5.0, message="traffic to reach backend-a again")

    def test_refused_endpoint_is_ejected_by_connect_failures(self):
        state, _ = self.send_until_ejected("/connect", "od-connect", self.dead_port)
        self.assertGreater(state["ejected_remaining_ms"], 20000)
        self.assertFalse(self.state("od-connect", self.port_b)["ejected"])
        self.assertGreaterEqual(stat(self.admin, "strait_endpoints_ejected"), 1)
        for _ in range(10):
                status, headers, _ = http_get(self.listener_port, "/connect", host=HOST)
                self.assertEqual((status, headers.get("x-upstream-name")), (200, "backend-b"))


if __name__ == "__main__":
    harness.main()
