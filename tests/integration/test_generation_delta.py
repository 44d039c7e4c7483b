#!/usr/bin/env python3
"""Endpoint changes reach sidecars as deltas (the fleet issue): when a workload starts
serving, a sidecar that routes to its service gets a GenerationDelta of that cluster's
endpoints, applies it as a whole generation and routes to the new endpoint; a sidecar whose
generation does not include that cluster gets an empty delta, ACKs it without rebuilding
anything, and its admin endpoints show the version it ACKed."""

import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import free_port, http_get, wait_until  # noqa: E402


def stat(admin, name):
    m = re.search(r"^%s (\d+)$" % re.escape(name), http_get(admin, "/stats")[2], re.M)
    return int(m.group(1)) if m else None


class GenerationDeltaTest(harness.StraitTestCase):

    def test_endpoint_changes_arrive_as_deltas(self):
        api_app = self.start_upstream("api-app")
        self.listener_port = free_port()
        config_dir = self.make_config_dir()
        self.write_config(config_dir, "mesh.yaml", harness.service_generation(self.listener_port, "api", api_app))
        control_port = self.start_control(config_dir)
        web = self.start_sidecar("web-1", "web", control_port)
        other = self.start_sidecar("other-1", "other", control_port)  # nothing of api
        v1 = harness.straitctl_status(control_port)["version"]
        self.wait_acked(control_port, "web-1", v1)
        self.wait_acked(control_port, "other-1", v1)
        self.assertEqual(http_get(self.listener_port, "/")[0], 503, "no api endpoint yet")
        web_applied, other_applied = stat(web, "strait_config_applied_total"), stat(other, "strait_config_applied_total")

        self.start_sidecar("api-1", "api", control_port, workload="127.0.0.1")
        v2 = self.wait_serving_version(control_port, lambda v: v != v1)
        self.wait_acked(control_port, "web-1", v2)
        self.wait_acked(control_port, "other-1", v2)

        # web: the api cluster's endpoints came as a delta and were built as a generation.
        self.assertGreaterEqual(stat(web, "strait_ads_deltas_applied_total"), 1)
        self.assertEqual(stat(web, "strait_config_applied_total"), web_applied + 1)
        self.assertEqual(harness.live_version(web), v2)
        dump = json.loads(http_get(web, "/config_dump?resource=load_assignments&name=api")[2])
        self.assertEqual([(e["address"], e["port"]) for e in dump["generation"]["load_assignments"][0]["endpoints"]],
                         [("127.0.0.1", api_app)])
        wait_until(lambda: http_get(self.listener_port, "/")[0] == 200, 10, message="web routes to api-1")

        # other: nothing of its generation changed: no rebuild, and it answers to v2.
        self.assertEqual(stat(other, "strait_config_applied_total"), other_applied)
        self.assertEqual(http_get(other, "/version")[2].splitlines()[0], v2)
        self.assertEqual(harness.live_version(other), v2)


if __name__ == "__main__":
    harness.main()
