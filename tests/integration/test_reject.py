#!/usr/bin/env python3
"""Bad generations never take effect: an invalid directory is refused by the control plane,
and a valid generation the sidecar cannot apply (listener port taken) is NACKed naming the
listener; in both cases the last good generation keeps serving."""

import os
import socket
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import free_port, generation, http_get, route, wait_until  # noqa: E402


class RejectTest(harness.StraitTestCase):

    def setUp(self):
        super().setUp()
        self.port_a = self.start_upstream("backend-a")
        self.port_b = self.start_upstream("backend-b")
        self.listener_port = free_port()
        self.config_dir = self.make_config_dir()
        self.write_config(self.config_dir, "mesh.yaml", self.good_config(self.port_a))
        self.control_port = self.start_control(self.config_dir)
        self.admin = self.start_sidecar("web-1", "web", self.control_port)
        self.v1 = harness.straitctl_status(self.control_port)["version"]
        self.wait_acked(self.control_port, "web-1", self.v1)

    def good_config(self, port, extra_listeners=()):
        return generation(self.listener_port, {"*": [route("/", "svc")]}, {"svc": [port]},
                          extra_listeners=extra_listeners)

    def assert_old_generation_serves(self):
        status, headers, body = http_get(self.listener_port, "/")
        self.assertEqual((status, headers.get("x-upstream-name")), (200, "backend-a"), body)
        self.assertEqual(harness.live_version(self.admin), self.v1)

    def test_invalid_config_is_refused_by_control_plane(self):
        bad = self.good_config(self.port_b)
        bad["route_configs"][0]["virtual_hosts"][0]["routes"] = [route("/", "no-such-cluster")]
        self.write_config(self.config_dir, "mesh.yaml", bad)
        wait_until(lambda: "refused" in self.control.log(), 10,
                   message="control plane logs the refusal")
        self.assertIn("no-such-cluster", self.control.log())

        r = subprocess.run([harness.binary("control/straitctl"), "validate", self.config_dir],
                           capture_output=True, text=True, timeout=harness.scaled(10))
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)

        st = harness.straitctl_status(self.control_port)
        self.assertEqual(st["version"], self.v1)
        s = st["sidecars"]["web-1"]
        self.assertEqual((s["connected"], s["acked"], s["nacked"]), (True, self.v1, ""))
        self.assert_old_generation_serves()

        # Fixing the file publishes a new version again.
        self.write_config(self.config_dir, "mesh.yaml", self.good_config(self.port_b))
        v2 = self.wait_serving_version(self.control_port, lambda v: v != self.v1)
        self.wait_acked(self.control_port, "web-1", v2)
        self.assertEqual(http_get(self.listener_port, "/")[1].get("x-upstream-name"),
                         "backend-b")

    def test_unbindable_listener_is_nacked_and_old_generation_serves(self):
        # The test holds the port: the sidecar's bind must fail.
        # A reserved port outside the ephemeral range: once the holder closes it, no outgoing
        # connection can take it before the sidecar binds it.
        holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.addCleanup(holder.close)
        holder.bind(("127.0.0.1", free_port()))
        holder.listen(1)
        taken_port = holder.getsockname()[1]
        blocked = {"name": "blocked", "address": "127.0.0.1", "port": taken_port,
                   "route_config": "main"}
        # Also move the main route to backend-b: none of it may take effect.
        self.write_config(self.config_dir, "mesh.yaml",
                          self.good_config(self.port_b, extra_listeners=[blocked]))
        v2 = self.wait_serving_version(self.control_port, lambda v: v != self.v1)

        def nacked():
            s = harness.straitctl_status(self.control_port)["sidecars"].get("web-1")
            return s if s and s["nacked"] == v2 else None
        s = wait_until(nacked, 10, message="web-1 NACKs version %s" % v2)
        self.assertIn("blocked", s["nack"])
        self.assertEqual(s["acked"], self.v1)
        self.assertTrue(s["connected"])
        self.assert_old_generation_serves()
        # Several requests, in case workers disagree.
        for _ in range(10):
            self.assertEqual(http_get(self.listener_port, "/")[1].get("x-upstream-name"),
                             "backend-a")

        # Once the port is free, a changed generation with that listener is applied.
        holder.close()
        blocked["name"] = "unblocked"
        self.write_config(self.config_dir, "mesh.yaml",
                          self.good_config(self.port_b, extra_listeners=[blocked]))
        v3 = self.wait_serving_version(self.control_port, lambda v: v not in (self.v1, v2))
        self.wait_acked(self.control_port, "web-1", v3)
        self.assertEqual(http_get(taken_port, "/")[1].get("x-upstream-name"), "backend-b")


if __name__ == "__main__":
    harness.main()
