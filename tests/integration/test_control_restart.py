#!/usr/bin/env python3
"""The data plane does not depend on the control plane being up: a sidecar keeps serving
while strait-control is down, reconnects when it comes back on the same address, and
converges to whatever the config is then. A restart with nothing changed serves the same
content under the same version (the served state is kept in the CA directory): the mesh's
endpoints stay, and no sidecar rebuilds."""

import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import free_port, generation, http_get, route, wait_until  # noqa: E402


class ControlRestartTest(harness.StraitTestCase):

    def config(self, port):
        return generation(self.listener_port, {"*": [route("/", "svc")]}, {"svc": [port]})

    def upstream_name(self):
        status, headers, body = http_get(self.listener_port, "/")
        self.assertEqual(status, 200, body)
        return headers.get("x-upstream-name")

    def restart_control(self, config_dir, port):
        # The old socket may linger briefly; retry the start until it binds the same port.
        def started():
            try:
                return self.start_control(config_dir, port=port)
            except AssertionError:
                return None
        return wait_until(started, 15, interval=0.2, message="control plane restart")

    def test_sidecar_survives_control_plane_restart(self):
        port_a = self.start_upstream("backend-a")
        port_b = self.start_upstream("backend-b")
        port_c = self.start_upstream("backend-c")
        self.listener_port = free_port()
        config_dir = self.make_config_dir()
        self.write_config(config_dir, "mesh.yaml", self.config(port_a))
        # A reserved port outside the ephemeral range (not port 0): while the control plane
        # is down, no outgoing connection (the sidecar's own reconnects included) can be
        # given it, so the restart can bind it again.
        control_port = self.start_control(config_dir, port=free_port())
        admin = self.start_sidecar("web-1", "web", control_port)
        v1 = harness.straitctl_status(control_port)["version"]
        self.wait_acked(control_port, "web-1", v1)

        self.control.kill()  # a crash, not a clean shutdown
        for _ in range(20):
            self.assertEqual(self.upstream_name(), "backend-a")
        self.assertEqual(http_get(admin, "/ready")[0], 200)

        # Edited while the control plane is down: after the restart it serves this content,
        # possibly under a version string the sidecar has already seen for other content.
        self.write_config(config_dir, "mesh.yaml", self.config(port_b))
        for _ in range(5):
            self.assertEqual(self.upstream_name(), "backend-a")
        restarted = self.restart_control(config_dir, control_port)
        self.assertEqual(restarted, control_port)

        def converged():
            st = harness.straitctl_status(control_port)
            s = st and st["sidecars"].get("web-1")
            return s and s["connected"] and s["acked"] == st["version"]
        wait_until(converged, 15, message="web-1 reconnects and ACKs the current version")
        wait_until(lambda: self.upstream_name() == "backend-b", 10,
                   message="routing follows the config edited during the outage")

        # And it keeps following edits on the new control plane.
        v_now = harness.straitctl_status(control_port)["version"]
        self.write_config(config_dir, "mesh.yaml", self.config(port_c))
        v_next = self.wait_serving_version(control_port, lambda v: v != v_now)
        self.wait_acked(control_port, "web-1", v_next)
        self.assertEqual(self.upstream_name(), "backend-c")
        self.assertEqual(harness.live_version(admin), v_next)

    def test_restart_with_nothing_changed_changes_nothing(self):
        api_app = self.start_upstream("api-app")
        self.listener_port = free_port()
        config_dir = self.make_config_dir()
        self.write_config(config_dir, "mesh.yaml", harness.service_generation(self.listener_port, "api", api_app))
        control_port = self.start_control(config_dir, port=free_port())
        web = self.start_sidecar("web-1", "web", control_port)
        self.start_sidecar("api-1", "api", control_port, workload="127.0.0.1")
        wait_until(lambda: http_get(self.listener_port, "/")[0] == 200, 15, message="web reaches api-1")
        version = harness.straitctl_status(control_port)["version"]
        self.wait_acked(control_port, "web-1", version)
        self.wait_acked(control_port, "api-1", version)
        applied = self.applied(web)

        self.control.kill()
        self.assertEqual(self.restart_control(config_dir, control_port), control_port)
        self.assertEqual(harness.straitctl_status(control_port)["version"], version,
                         "the same content under the same version")

        def converged():
            st = harness.straitctl_status(control_port)
            return st and all(st["sidecars"].get(n, {}).get("connected") and st["sidecars"][n]["acked"] == version
                              for n in ("web-1", "api-1"))
        wait_until(converged, 15, message="both sidecars reconnect and ACK %s" % version)
        self.assertEqual(self.applied(web), applied, "web rebuilt nothing")
        self.assertEqual(harness.live_version(web), version)
        for _ in range(5):
            self.assertEqual(http_get(self.listener_port, "/")[0], 200)
        self.assertIn("served state from", self.control.log())

    def test_restart_without_its_state_takes_the_sidecars_version_for_the_same_content(self):
        port_a = self.start_upstream("backend-a")
        self.listener_port = free_port()
        config_dir = self.make_config_dir()
        self.write_config(config_dir, "mesh.yaml", self.config(port_a))
        control_port = self.start_control(config_dir, port=free_port())
        admin = self.start_sidecar("web-1", "web", control_port)
        # A second version, so that a fresh control plane's "1-..." is not the label already.
        self.write_config(config_dir, "mesh.yaml", self.config(self.start_upstream("backend-b")))
        self.wait_serving_version(control_port, lambda v: v.startswith("2-"))
        self.write_config(config_dir, "mesh.yaml", self.config(port_a))
        version = self.wait_serving_version(control_port, lambda v: v.startswith("3-"))
        self.wait_acked(control_port, "web-1", version)
        applied = self.applied(admin)

        self.control.kill()
        os.remove(os.path.join(self.ca_dir, "served-state"))  # as another replica would start
        self.assertEqual(self.restart_control(config_dir, control_port), control_port)
        # Once web-1 is back, the control plane serves the same content under its label.
        self.wait_serving_version(control_port, lambda v: v == version, timeout=15)
        self.wait_acked(control_port, "web-1", version)
        self.assertEqual(self.applied(admin), applied, "web rebuilt nothing")
        self.assertEqual(harness.live_version(admin), version)
        self.assertIn("a sidecar's, same content", self.control.log())

    @staticmethod
    def applied(admin):
        m = re.search(r"^strait_config_applied_total (\d+)$", http_get(admin, "/stats")[2], re.M)
        return int(m.group(1))


if __name__ == "__main__":
    harness.main()
