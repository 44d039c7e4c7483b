#!/usr/bin/env python3
"""Editing a config file publishes a new version that reaches the sidecar: /config_dump,
routing and `straitctl status` all move to it."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import free_port, generation, header, http_get, route, wait_until  # noqa: E402


class UpdateTest(harness.StraitTestCase):

    def config(self, target_port, tag):
        return generation(self.listener_port, {"*": [
            route("/", "svc", response_headers_to_add=[header("x-tag", tag)])]},
            {"svc": [target_port]})

    def test_edit_reaches_config_dump_routing_and_status(self):
        port_a = self.start_upstream("backend-a")
        port_b = self.start_upstream("backend-b")
        self.listener_port = free_port()
        config_dir = self.make_config_dir()
        self.write_config(config_dir, "mesh.yaml", self.config(port_a, "one"))
        control = self.start_control(config_dir)
        admin = self.start_sidecar("web-1", "web", control)

        v1 = harness.straitctl_status(control)["version"]
        self.wait_acked(control, "web-1", v1)
        self.assertEqual(harness.live_version(admin), v1)
        status, headers, _ = http_get(self.listener_port, "/x")
        self.assertEqual((status, headers.get("x-upstream-name"), headers.get("x-tag")),
                         (200, "backend-a", "one"))

        self.write_config(config_dir, "mesh.yaml", self.config(port_b, "two"))
        v2 = self.wait_serving_version(control, lambda v: v != v1)

        wait_until(lambda: harness.live_version(admin) == v2, 10, message="config_dump v2")
        dump = harness.admin_json(admin)
        endpoints = dump["generation"]["load_assignments"][0]["endpoints"]
        self.assertEqual([e["port"] for e in endpoints], [port_b])
        self.assertTrue(dump.get("applied_at"), dump)

        status, headers, _ = http_get(self.listener_port, "/x")
        self.assertEqual((status, headers.get("x-upstream-name"), headers.get("x-tag")),
                         (200, "backend-b", "two"))
        s = self.wait_acked(control, "web-1", v2)
        self.assertEqual(s["sent"], v2)
        self.assertEqual(s["nacked"], "")

    def test_new_file_in_dir_is_merged(self):
        # The config dir is the union of its files: a second file adds a whole listener.
        port_a = self.start_upstream("backend-a")
        port_b = self.start_upstream("backend-b")
        self.listener_port = free_port()
        config_dir = self.make_config_dir()
        self.write_config(config_dir, "main.yaml", self.config(port_a, "main"))
        control = self.start_control(config_dir)
        admin = self.start_sidecar("web-1", "web", control)
        v1 = harness.live_version(admin)

        second_port = free_port()
        extra = generation(second_port, {"*": [route("/", "extra")]}, {"extra": [port_b]},
                           listener_name="second", route_config="second")
        self.write_config(config_dir, "extra.yaml", extra)
        wait_until(lambda: harness.live_version(admin) not in (None, v1), 10,
                   message="new version after adding extra.yaml")
        status, headers, _ = http_get(second_port, "/")
        self.assertEqual((status, headers.get("x-upstream-name")), (200, "backend-b"))
        status, headers, _ = http_get(self.listener_port, "/")
        self.assertEqual((status, headers.get("x-upstream-name")), (200, "backend-a"))


    def test_generation_over_grpc_default_4_mib_is_delivered(self):
        # gRPC refuses messages over 4 MiB by default; both ends of the ADS stream allow up to
        # the generation limit (64 MiB), so a 5 MiB generation arrives and goes live.
        self.listener_port = free_port()
        gen = self.config(self.start_upstream("backend"), "big")
        body = "x" * (60 * 1024)
        big = [{"match": {"path": "/big/%d" % i}, "direct_response": {"status": 200, "body": body}}
               for i in range(90)]
        vh = gen["route_configs"][0]["virtual_hosts"][0]
        vh["routes"] = big + vh["routes"]
        config_dir = self.make_config_dir()
        self.write_config(config_dir, "mesh.yaml", gen)
        self.assertGreater(os.path.getsize(os.path.join(config_dir, "mesh.yaml")), 5 * 1024 * 1024)
        control = self.start_control(config_dir)
        self.start_sidecar("web-1", "web", control)  # waits for /ready: the generation is live
        status, _, got = http_get(self.listener_port, "/big/89")
        self.assertEqual((status, len(got)), (200, len(body)))
        self.assertEqual(http_get(self.listener_port, "/")[0], 200)


if __name__ == "__main__":
    harness.main()
