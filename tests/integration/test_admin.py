#!/usr/bin/env python3
"""The sidecar's admin endpoints against a real sidecar: /listeners (bound address, version,
TLS, use_original_dst), /version (equals what straitctl status shows as acked), /stats with
filter= and format=json (a bad regex is 400), /config_dump of one resource kind or one
resource by name (unknown kind 400, unknown name 404, keys redacted), /logging changing the
log level at run time (a debug line appears only after level=debug), strict query parsing
(bad percent-encoding 400) and 404 for unknown paths."""

import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import free_port, generation, http_get, http_request, route, wait_until  # noqa: E402
from test_tls import Pki, secret  # noqa: E402


class AdminTest(harness.StraitTestCase):

    def setUp(self):
        super().setUp()
        self.pki = Pki(self.tmp)
        self.upstream = self.start_upstream("backend")
        self.port = free_port()
        self.tls_port = free_port()
        self.intercept_port = free_port()
        self.config_dir = self.make_config_dir()

    def config(self, tag="one"):
        gen = generation(self.port, {"*": [route("/other", "other"), route("/", "svc")]},
                         {"svc": [self.upstream], "other": [self.upstream]})
        cert, key = self.pki.leaf("a.test", ["DNS:a.test"])
        gen["listeners"].append({"name": "secure", "address": "127.0.0.1", "port": self.tls_port,
                                 "route_config": "main",
                                 "tls": {"certificates": [{"secret": "cert-a"}]}})
        gen["listeners"].append({"name": "intercept", "address": "127.0.0.1",
                                 "port": self.intercept_port, "route_config": "main",
                                 "use_original_dst": True})
        gen["secrets"] = [secret("cert-a", cert, key)]
        # A change of tag makes a new version (the route's response header).
        gen["route_configs"][0]["virtual_hosts"][0]["routes"][1]["response_headers_to_add"] = [
            harness.header("x-tag", tag)]
        return gen

    def start(self, extra_args=()):
        self.write_config(self.config_dir, "mesh.yaml", self.config())
        self.control_port = self.start_control(self.config_dir)
        self.admin = self.start_sidecar("web-1", "web", self.control_port)
        self.v1 = harness.straitctl_status(self.control_port)["version"]
        self.wait_acked(self.control_port, "web-1", self.v1)
        self.sidecar = self.procs[-1]

    def get(self, path):
        return http_get(self.admin, path)

    def get_json(self, path):
        status, headers, body = self.get(path)
        self.assertEqual(status, 200, body)
        self.assertEqual(headers.get("content-type"), "application/json")
        return json.loads(body)

    def test_listeners(self):
        self.start()
        doc = self.get_json("/listeners")
        self.assertEqual(doc["version"], self.v1)
        by_name = {l["name"]: l for l in doc["listeners"]}
        self.assertEqual(by_name, {
            "ingress": {"name": "ingress", "address": "127.0.0.1:%d" % self.port, "version": self.v1,
                        "tls": False, "use_original_dst": False},
            "secure": {"name": "secure", "address": "127.0.0.1:%d" % self.tls_port,
                       "version": self.v1, "tls": True, "use_original_dst": False},
            "intercept": {"name": "intercept", "address": "127.0.0.1:%d" % self.intercept_port,
                          "version": self.v1, "tls": False, "use_original_dst": True},
        })

    def test_version_equals_acked_and_follows_updates(self):
        self.start()
        status, _, body = self.get("/version")
        self.assertEqual(status, 200)
        self.assertEqual(body, "%s\nstale: no\n" % self.v1)
        acked = harness.straitctl_status(self.control_port)["sidecars"]["web-1"]["acked"]
        self.assertEqual(body.splitlines()[0], acked)

        self.write_config(self.config_dir, "mesh.yaml", self.config("two"))
        v2 = self.wait_serving_version(self.control_port, lambda v: v != self.v1)
        self.wait_acked(self.control_port, "web-1", v2)
        self.assertEqual(self.get("/version")[2].splitlines()[0], v2)

    def test_version_stale_and_before_any_generation(self):
        cache = self.path("generation.cache")
        self.write_config(self.config_dir, "mesh.yaml", self.config())
        self.control_port = self.start_control(self.config_dir, port=free_port())
        extra = "generation_cache_file: %s\n" % cache
        self.start_sidecar("web-1", "web", self.control_port, workers=1, extra_bootstrap=extra)
        v1 = harness.straitctl_status(self.control_port)["version"]
        wait_until(lambda: os.path.exists(cache), 10, message="generation cache written")
        self.assertEqual(self.procs[-1].stop(), 0)
        self.assertEqual(self.control.stop(), 0)

        # Restarted while the control plane is down: the cached generation, stale.
        admin = self.start_sidecar("web-2", "web", self.control_port, workers=1, extra_bootstrap=extra)
        status, headers, body = http_get(admin, "/version")
        self.assertEqual((status, headers["content-type"], body), (200, "text/plain", "%s\nstale: yes\n" % v1))
        # No generation at all: 503, and /listeners lists nothing.
        admin = self.start_sidecar("web-3", "web", self.control_port, workers=1, wait_ready=False)
        self.assertEqual(http_get(admin, "/version")[0], 503)
        self.assertEqual(json.loads(http_get(admin, "/listeners")[2]), {"version": "", "listeners": []})

    def test_stats_filter_and_json(self):
        self.start()
        status, _, body = self.get("/stats?filter=%5Estrait_config_applied_total%24")
        self.assertEqual(status, 200, body)
        lines = body.splitlines()
        self.assertEqual(lines[:2], [
            "# HELP strait_config_applied_total Generations applied.",
            "# TYPE strait_config_applied_total counter"])
        self.assertEqual(len(lines), 3, body)
        self.assertRegex(lines[2], r"^strait_config_applied_total [1-9]\d*$")

        # Several families; whole families (HELP, TYPE, every labelled sample).
        status, _, body = self.get("/stats?filter=strait_(downstream_rq_total|ads_)")
        self.assertEqual(status, 200, body)
        names = {l.split("{")[0].split(" ")[0] for l in body.splitlines() if not l.startswith("#")}
        self.assertEqual(names, {"strait_downstream_rq_total", "strait_ads_connected",
                                 "strait_ads_reconnects_total", "strait_ads_deltas_applied_total"})
        self.assertIn('strait_downstream_rq_total{code_class="2xx"}', body)

        status, _, body = self.get("/stats?filter=strait_(ads")
        self.assertEqual(status, 400)
        self.assertIn("bad filter regex", body)
        self.assertIn("missing )", body)

        stats = self.get_json("/stats?format=json")
        self.assertGreaterEqual(stats["strait_config_applied_total"], 1)
        self.assertEqual(stats["strait_ads_connected"], 1)
        self.assertIn('strait_downstream_rq_total{code_class="5xx"}', stats)
        self.assertEqual(self.get_json("/stats?format=json&filter=%5Estrait_ads_"),
                         {"strait_ads_connected": 1,
                          "strait_ads_reconnects_total": stats["strait_ads_reconnects_total"],
                          "strait_ads_deltas_applied_total": 0})

        for bad in ("/stats?format=xml", "/stats?filtr=ads", "/stats?filter=a&filter=b"):
            status, _, body = self.get(bad)
            self.assertEqual(status, 400, "%s: %s" % (bad, body))

    def test_config_dump_of_one_resource(self):
        self.start()
        doc = self.get_json("/config_dump?resource=clusters&name=other")
        self.assertEqual(doc["version"], self.v1)
        self.assertTrue(doc["applied_at"])
        self.assertEqual(list(doc["generation"]), ["clusters"])
        self.assertEqual([c["name"] for c in doc["generation"]["clusters"]], ["other"])
        full = harness.admin_json(self.admin)
        self.assertEqual(doc["generation"]["clusters"][0],
                         [c for c in full["generation"]["clusters"] if c["name"] == "other"][0])

        both = self.get_json("/config_dump?resource=clusters")
        self.assertEqual(sorted(c["name"] for c in both["generation"]["clusters"]), ["other", "svc"])
        la = self.get_json("/config_dump?resource=load_assignments&name=svc")
        self.assertEqual([e["port"] for e in la["generation"]["load_assignments"][0]["endpoints"]],
                         [self.upstream])
        secrets = self.get_json("/config_dump?resource=secrets&name=cert-a")["generation"]["secrets"]
        self.assertEqual(secrets[0]["private_key"], "[redacted]")
        self.assertIn("BEGIN CERTIFICATE", secrets[0]["certificate_chain"])

        status, _, body = self.get("/config_dump?resource=routes")
        self.assertEqual(status, 400, body)
        self.assertIn("unknown resource kind 'routes'", body)
        status, _, body = self.get("/config_dump?resource=clusters&name=nope")
        self.assertEqual(status, 404, body)
        self.assertEqual(self.get("/config_dump?name=svc")[0], 400)

    def test_logging_level_at_run_time(self):
        self.start()
        status, _, body = self.get("/logging")
        self.assertEqual((status, body), (200, "info\n"))
        debug_v1 = "strait-sidecar: generation %s: 3 listeners" % self.v1
        self.assertNotIn(debug_v1, self.sidecar.log())
        self.assertNotIn("strait-sidecar: admin: GET", self.sidecar.log())

        # Changing the level is POST only; bad levels are refused.
        self.assertEqual(self.get("/logging?level=debug")[0], 405)
        self.assertEqual(http_request(self.admin, "/logging?level=verbose", method="POST")[0], 400)
        self.assertEqual(self.get("/logging")[2], "info\n")

        status, _, body = http_request(self.admin, "/logging?level=debug", method="POST")
        self.assertEqual((status, body), (200, "debug (was info)\n"))
        self.assertEqual(self.get("/logging")[2], "debug\n")
        self.assertIn("strait-sidecar: admin: log level debug (was info)", self.sidecar.log())

        self.write_config(self.config_dir, "mesh.yaml", self.config("two"))
        v2 = self.wait_serving_version(self.control_port, lambda v: v != self.v1)
        debug_v2 = "strait-sidecar: generation %s: 3 listeners, 1 route configs, 2 clusters" % v2
        wait_until(lambda: debug_v2 in self.sidecar.log(), 10, message="debug line of " + v2)
        self.assertIn("strait-sidecar: ads: received version %s" % v2, self.sidecar.log())
        self.assertIn("strait-sidecar: admin: GET /logging -> 200", self.sidecar.log())

        # Back to info: debug lines stop.
        status, _, body = http_request(self.admin, "/logging?level=info", method="POST")
        self.assertEqual((status, body), (200, "info (was debug)\n"))
        self.write_config(self.config_dir, "mesh.yaml", self.config("three"))
        v3 = self.wait_serving_version(self.control_port, lambda v: v not in (self.v1, v2))
        self.wait_acked(self.control_port, "web-1", v3)
        wait_until(lambda: "generation %s live on all workers" % v3 in self.sidecar.log(), 10,
                   message="info line of " + v3)
        self.assertNotIn("strait-sidecar: generation %s: 3 listeners" % v3, self.sidecar.log())

    def test_unknown_paths_and_bad_queries(self):
        self.start()
        for path in ("/nope", "/listeners/x", "/stats/", "/", "/version%20"):
            status, _, body = self.get(path)
            self.assertEqual(status, 404, path)
            self.assertIn("/listeners", body)
        for path in ("/stats?filter=%zz", "/stats?filter=%", "/config_dump?=x",
                     "/config_dump?resource=clusters&resource=secrets", "/ready?a=%4"):
            status, _, body = self.get(path)
            self.assertEqual(status, 400, "%s: %s" % (path, body))
        # Paths without parameters ignore a well-formed query, as before.
        self.assertEqual(self.get("/ready?probe=1")[0], 200)
        self.assertEqual(self.get("/version?x")[0], 200)
        # The sidecar survived all of it.
        self.assertEqual(self.get("/listeners")[0], 200)


if __name__ == "__main__":
    harness.main()
