#!/usr/bin/env python3
"""Active health checks (Cluster.health_check): an HTTP check takes an endpoint whose
/health answers 503 out of the rotation and brings it back once it answers 200 again; a TCP
check marks a port nobody listens on unhealthy; the admin endpoint (/clusters, /stats)
shows the states; removing the health check puts the endpoint back; a cluster with TLS is
checked over TLS (its SAN matching included).

The upstream's health is flipped with its set_status knob (a request straight to it)."""

import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import free_port, generation, http_get, route, wait_until  # noqa: E402
from test_tls import Pki, secret  # noqa: E402

HOST = "svc.local"



def endpoint_state(admin_port, cluster, port):
    """The /clusters entry of endpoint 127.0.0.1:port of `cluster`."""
    data = harness.admin_json(admin_port, "/clusters")
    for c in data["clusters"]:
        if c["name"] == cluster:
            for ep in c["endpoints"]:
                if ep["address"] == "127.0.0.1:%d" % port:
                    return ep
    raise AssertionError("no endpoint 127.0.0.1:%d in cluster %s: %r" % (port, cluster, data))


def stat(admin_port, name):
    _, _, body = http_get(admin_port, "/stats")
    m = re.search(r"^%s (\d+)$" % re.escape(name), body, re.M)
    return int(m.group(1)) if m else None


def set_upstream_status(port, status):
    code, _, _ = http_get(port, "/?set_status=%d" % status)
    assert code == 200, code


class HealthCheckTest(harness.StraitTestCase):

    def setUp(self):
        super().setUp()
        self.port_a = self.start_upstream("backend-a")
        self.port_b = self.start_upstream("backend-b")
        self.dead_port = free_port()  # nothing listens there: connect is refused
        self.listener_port = free_port()
        self.gen = generation(self.listener_port, {
            (HOST, HOST + ":%d" % self.listener_port): [
                route("/http", "hc-http"),
                route("/tcp", "hc-tcp"),
            ]}, {
            "hc-http": [self.port_a, self.port_b],
            "hc-tcp": [self.port_b, self.dead_port],
        })
        checks = {
            # Timeouts of 5 s: a healthy endpoint's check must not time out on a slow, busy
            # machine (the failing checks here are 503s and refused connects, never timeouts).
            "hc-http": {"interval": "0.1s", "interval_jitter": "0.02s", "timeout": "5s",
                        "unhealthy_threshold": 2, "healthy_threshold": 2,
                        "http": {"path": "/health", "host": "health.local"}},
            "hc-tcp": {"interval": "0.1s", "timeout": "5s", "unhealthy_threshold": 2, "tcp": {}},
        }
        for c in self.gen["clusters"]:
            c["health_check"] = checks[c["name"]]
        self.config_dir = self.make_config_dir()
        self.write_config(self.config_dir, "mesh.yaml", self.gen)
        self.control_port = self.start_control(self.config_dir)
        self.admin = self.start_sidecar("web-1", "web", self.control_port)

    def health(self, cluster, port):
        return endpoint_state(self.admin, cluster, port)["health"]

    def wait_health(self, cluster, port, want, timeout=10.0):
        wait_until(lambda: self.health(cluster, port) == want, timeout,
                   message="%s 127.0.0.1:%d to be %s" % (cluster, port, want))

    def upstream_names(self, path, n=20):
        names = []
        for _ in range(n):
            status, headers, body = http_get(self.listener_port, path, host=HOST)
            self.assertEqual(status, 200, body)
            names.append(headers.get("x-upstream-name"))
        return names

    def test_http_check_removes_and_restores_endpoint(self):
        wait_until(lambda: (stat(self.admin, "strait_health_check_success_total") or 0) >= 4,
                   message="first checks to pass")
        self.assertEqual(self.health("hc-http", self.port_a), "healthy")
        self.assertEqual(self.health("hc-http", self.port_b), "healthy")

        set_upstream_status(self.port_a, 503)
        self.wait_health("hc-http", self.port_a, "failed_active_hc")
        state = endpoint_state(self.admin, "hc-http", self.port_a)
        self.assertTrue(state["failed_active_hc"])
        self.assertFalse(state["ejected"])
        self.assertEqual(self.health("hc-http", self.port_b), "healthy")
        self.assertGreaterEqual(stat(self.admin, "strait_health_check_failure_total"), 2)
        self.assertGreaterEqual(stat(self.admin, "strait_health_check_unhealthy_total"), 1)
        self.assertGreaterEqual(stat(self.admin, "strait_endpoints_failed_active_hc"), 1)
        self.assertEqual(set(self.upstream_names("/http")), {"backend-b"})

        set_upstream_status(self.port_a, 0)
        self.wait_health("hc-http", self.port_a, "healthy")
        self.assertGreaterEqual(stat(self.admin, "strait_health_check_healthy_total"), 1)
        self.assertEqual(set(self.upstream_names("/http")), {"backend-a", "backend-b"})

    def test_tcp_check_marks_dead_port_unhealthy(self):
        self.wait_health("hc-tcp", self.dead_port, "failed_active_hc")
        self.assertEqual(self.health("hc-tcp", self.port_b), "healthy")
        data = harness.admin_json(self.admin, "/clusters")
        tcp = [c for c in data["clusters"] if c["name"] == "hc-tcp"][0]
        self.assertEqual(tcp["health_check"], "tcp")
        self.assertEqual(data["version"], harness.live_version(self.admin))
        self.assertEqual(set(self.upstream_names("/tcp")), {"backend-b"})

    def test_removing_the_health_check_puts_the_endpoint_back(self):
        self.wait_health("hc-tcp", self.dead_port, "failed_active_hc")
        version = harness.live_version(self.admin)
        for c in self.gen["clusters"]:
            if c["name"] == "hc-tcp":
                del c["health_check"]
        self.write_config(self.config_dir, "mesh.yaml", self.gen)
        wait_until(lambda: harness.live_version(self.admin) != version, message="new generation")
        self.assertEqual(self.health("hc-tcp", self.dead_port), "healthy")
        # The other cluster's checks go on in the new generation.
        set_upstream_status(self.port_a, 503)
        self.wait_health("hc-http", self.port_a, "failed_active_hc")


class HealthCheckTlsTest(harness.StraitTestCase):
    """One sidecar: a TLS listener in front of the upstream, and two clusters checking it
    over TLS by HTTP, one expecting the listener's SAN, one expecting another."""

    def test_http_check_over_tls(self):
        pki = Pki(self.tmp)
        cert = pki.leaf("b", ["DNS:b.internal"])
        port_up = self.start_upstream("backend")
        port_main, port_tls = free_port(), free_port()
        gen = generation(port_main, {"*": [route("/good", "hc-tls"), route("/bad", "hc-tls-bad")]},
                         {"hc-tls": [port_tls], "hc-tls-bad": [port_tls]})
        gen_b = generation(port_tls, {"*": [route("/", "backend")]}, {"backend": [port_up]},
                           listener_name="tls-in", route_config="tls-routes")
        gen_b["listeners"][0]["tls"] = {"certificates": [{"secret": "b-cert"}]}
        for kind in ("listeners", "route_configs", "clusters", "load_assignments"):
            gen[kind] += gen_b[kind]
        for c in gen["clusters"]:
            if c["name"].startswith("hc-"):
                sans = ["b.internal"] if c["name"] == "hc-tls" else ["other.internal"]
                c["tls"] = {"sni": "b.internal", "trusted_ca_secret": "ca",
                            "match_subject_alt_names": sans}
                c["health_check"] = {"interval": "0.1s", "timeout": "5s", "unhealthy_threshold": 1,
                                     "http": {"path": "/health"}}
        gen["secrets"] = [secret("ca", ca=pki.ca), secret("b-cert", *cert)]
        config_dir = self.make_config_dir()
        self.write_config(config_dir, "mesh.yaml", gen)
        admin = self.start_sidecar("web-1", "web", self.start_control(config_dir))

        def health(cluster):
            return endpoint_state(admin, cluster, port_tls)["health"]
        wait_until(lambda: health("hc-tls-bad") == "failed_active_hc", message="SAN mismatch to fail")
        wait_until(lambda: (stat(admin, "strait_health_check_success_total") or 0) >= 2,
                   message="checks over TLS to pass")
        self.assertEqual(health("hc-tls"), "healthy")
        # The check went through the TLS listener to the upstream: its 503 fails it.
        set_upstream_status(port_up, 503)
        wait_until(lambda: health("hc-tls") == "failed_active_hc", message="503 over TLS to fail")
        set_upstream_status(port_up, 0)
        wait_until(lambda: health("hc-tls") == "healthy", message="200 over TLS to pass")


if __name__ == "__main__":
    harness.main()
