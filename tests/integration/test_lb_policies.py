#!/usr/bin/env python3
"""Load-balancing policies through a real sidecar: ring hash and Maglev keep a key on one
upstream and spread different keys, weighted round robin follows the weights, least request
steers away from a slow upstream."""

import collections
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import free_port, generation, header, http_get, listener, route  # noqa: E402

SLOW_DELAY_MS = 200   # every request to the slow endpoint waits this long upstream
CLIENTS = 8           # concurrent keep-alive clients in the least-request test
REQUESTS_EACH = 25


def cluster(name, policy, lb_config=None, **extra):
    c = {"name": name, "connect_timeout": "1s", "lb_policy": policy}
    if lb_config:
        c["lb_config"] = lb_config
    c.update(extra)
    return c


def assignment(name, ports, weights=None):
    weights = weights or [1] * len(ports)
    return {"cluster_name": name, "endpoints": [
        {"address": "127.0.0.1", "port": p, "weight": w} for p, w in zip(ports, weights)]}


class LbPoliciesTest(harness.StraitTestCase):

    def setUp(self):
        super().setUp()
        self.names = ["backend-a", "backend-b", "backend-c", "backend-d"]
        ports = [self.start_upstream(n) for n in self.names]
        slow_port = self.start_upstream("slow")
        self.listener_port = free_port()
        slow_listener_port = free_port()
        # The slow endpoint: a second listener of the same sidecar that adds the test
        # upstream's delay knob and forwards to the "slow" upstream.
        gen = generation(self.listener_port, {"*": [
            route("/ring", "ring"), route("/maglev", "maglev"), route("/by-ip", "by-ip"),
            route("/weighted", "weighted"), route("/least", "least"), route("/rr", "rr"),
        ]}, {}, services=["web"], extra_listeners=[
            listener("slow-in", slow_listener_port, "slow", "web")])
        gen["route_configs"].append({"name": "slow", "virtual_hosts": [{
            "name": "all", "domains": ["*"], "routes": [route(
                "/", "slow-origin",
                request_headers_to_add=[header("x-upstream-delay-ms", SLOW_DELAY_MS)])]}]})
        with_slow = ports[:3] + [slow_listener_port]
        gen["clusters"] = [
            cluster("ring", "RING_HASH", {"hash_policy": {"header_name": "x-user"}}),
            cluster("maglev", "MAGLEV", {"hash_policy": {"cookie_name": "session"},
                                         "maglev": {"table_size": 1009}}),
            cluster("by-ip", "RING_HASH", {"hash_policy": {"source_ip": True}}),
            cluster("weighted", "ROUND_ROBIN"),
            cluster("least", "LEAST_REQUEST"),
            cluster("rr", "ROUND_ROBIN"),
            cluster("slow-origin", "ROUND_ROBIN"),
        ]
        gen["load_assignments"] = [
            assignment("ring", ports), assignment("maglev", ports), assignment("by-ip", ports),
            assignment("weighted", ports[:3], [1, 2, 3]),
            assignment("least", with_slow), assignment("rr", with_slow),
            assignment("slow-origin", [slow_port]),
        ]
        config_dir = self.make_config_dir()
        self.write_config(config_dir, "mesh.yaml", gen)
        self.control_port = self.start_control(config_dir)
        self.admin = self.start_sidecar("web-1", "web", self.control_port)

    def upstream(self, path, headers=None):
        """One request on a fresh connection (so on either worker); the upstream's name."""
        status, resp_headers, body = http_get(self.listener_port, path, headers=headers)
        self.assertEqual(status, 200, body)
        return resp_headers["x-upstream-name"]

    def assert_sticky_and_spread(self, path, key_headers):
        by_key = {}
        for key in range(24):
            seen = {self.upstream(path, key_headers(key)) for _ in range(3)}
            self.assertEqual(len(seen), 1, "key %d went to %s" % (key, seen))
            by_key[key] = seen.pop()
        # 24 keys over 4 upstreams: all on two or fewer has probability below 1e-6.
        self.assertGreaterEqual(len(set(by_key.values())), 3, by_key)
        return by_key

    def test_ring_hash_on_a_header_keeps_each_key_on_one_upstream(self):
        self.assert_sticky_and_spread("/ring", lambda k: {"x-user": "user-%d" % k})
        # Without the header a request goes to a random upstream.
        names = {self.upstream("/ring") for _ in range(40)}
        self.assertGreaterEqual(len(names), 2, names)

    def test_maglev_on_a_cookie_keeps_each_key_on_one_upstream(self):
        self.assert_sticky_and_spread(
            "/maglev", lambda k: {"cookie": "theme=dark; session=s%d; lang=en" % k})

    def test_ring_hash_on_the_client_address(self):
        names = {self.upstream("/by-ip") for _ in range(20)}
        self.assertEqual(len(names), 1, names)  # every request comes from 127.0.0.1

    def test_weighted_round_robin_follows_the_weights(self):
        # One connection stays on one worker, whose smooth WRR cycle is exact: 1:2:3.
        client = harness.KeepAliveClient(self.listener_port)
        self.addCleanup(client.close)
        counts = collections.Counter()
        for _ in range(60):
            status, headers, body = client.get("/weighted")
            self.assertEqual(status, 200, body)
            counts[headers["x-upstream-name"]] += 1
        self.assertEqual(counts, {"backend-a": 10, "backend-b": 20, "backend-c": 30})

    def spread_under_load(self, path):
        """CLIENTS concurrent keep-alive clients, REQUESTS_EACH requests each; upstream counts."""
        counts = collections.Counter()
        errors = []
        lock = threading.Lock()

        def client_loop():
            client = harness.KeepAliveClient(self.listener_port, timeout=10)
            try:
                for _ in range(REQUESTS_EACH):
                    status, headers, body = client.get(path)
                    with lock:
                        if status != 200:
                            errors.append((status, body[:200]))
                        counts[headers.get("x-upstream-name")] += 1
            except Exception as e:  # noqa: BLE001 - reported below
                with lock:
                    errors.append(repr(e))
            finally:
                client.close()

        threads = [threading.Thread(target=client_loop) for _ in range(CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(harness.scaled(60))
        self.assertEqual(errors, [])
        self.assertEqual(sum(counts.values()), CLIENTS * REQUESTS_EACH, counts)
        return counts

    def test_least_request_avoids_the_slow_upstream(self):
        total = CLIENTS * REQUESTS_EACH
        least = self.spread_under_load("/least")
        # Round robin gives the slow endpoint a quarter; least request sends it a request only
        # when both of its two choices are the slow one while it is busy (about 1/16).
        self.assertLess(least["slow"], total * 0.15, least)
        for name in self.names[:3]:
            self.assertGreater(least[name], total * 0.2, least)
        rr = self.spread_under_load("/rr")
        self.assertGreater(rr["slow"], total * 0.2, rr)


if __name__ == "__main__":
    harness.main()
