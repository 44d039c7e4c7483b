#!/usr/bin/env python3
"""Distributed tracing (the observability issue) through two real sidecars, web's and api's,
exporting to a collector of our own (otlp_collector.py, OTLP/HTTP JSON):
- a call without trace context through both sidecars makes one trace of four spans, each
  correctly parented: web SERVER (root) -> web CLIENT -> api SERVER -> api CLIENT, and the
  app receives a traceparent whose parent is api's CLIENT span;
- a caller's W3C context is continued (its trace id, its span as the root's parent) and its
  tracestate passed on; its "not sampled" decision is followed (no span exported);
- a B3 caller's trace is continued and b3 goes on to the app;
- a request the sidecar answers itself (no route) still has its SERVER span;
- with the collector gone, requests are still served and the spans are counted as failed."""

import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import free_port, wait_until  # noqa: E402

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT = "00f067aa0ba902b7"


class TracingTest(harness.StraitTestCase):

    def setUp(self):
        super().setUp()
        self.spans_file = self.path("spans.jsonl")
        port_file = self.path("collector.port")
        self.collector = self.spawn("collector", [sys.executable, os.path.join(os.path.dirname(
            os.path.abspath(__file__)), "otlp_collector.py"), port_file, self.spans_file])
        collector_port = self.wait_port_file(self.collector, port_file)
        app = self.start_upstream("app")
        self.web_port, self.api_port = free_port(), free_port()
        tracing = {"collector_cluster": "collector", "sample_rate": 1}

        def listener(name, port, service, cluster):
            return {"name": name, "address": "127.0.0.1", "port": port, "route_config": name,
                    "services": [service], "tracing": tracing}

        def routes(name, cluster):
            return {"name": name, "virtual_hosts": [{"name": name, "domains": ["*"], "routes": [
                {"name": name + "-route", "match": {"prefix": "/hello"}, "route": {"cluster": cluster}}]}]}
        gen = {
            "listeners": [listener("web-out", self.web_port, "web", "api"),
                          listener("api-in", self.api_port, "api", "app")],
            "route_configs": [routes("web-out", "api"), routes("api-in", "app")],
            "clusters": [{"name": "api"}, {"name": "app"}, {"name": "collector"}],
            "load_assignments": [
                {"cluster_name": "api", "endpoints": [{"address": "127.0.0.1", "port": self.api_port}]},
                {"cluster_name": "app", "endpoints": [{"address": "127.0.0.1", "port": app}]},
                {"cluster_name": "collector", "endpoints": [{"address": "127.0.0.1", "port": collector_port}]}],
        }
        config_dir = self.make_config_dir()
        self.write_config(config_dir, "mesh.yaml", gen)
        control = self.start_control(config_dir)
        self.admin = {"web": self.start_sidecar("web-1", "web", control),
                      "api": self.start_sidecar("api-1", "api", control)}

    def spans(self, trace_id, n):
        """The spans of `trace_id` the collector got, once there are n."""
        def got():
            if not os.path.exists(self.spans_file):
                return []
            with open(self.spans_file) as f:
                found = [json.loads(line) for line in f.read().splitlines()]
            return [s for s in found if s["traceId"] == trace_id]
        wait_until(lambda: len(got()) >= n, 20, message="%d spans of trace %s" % (n, trace_id))
        return got()

    @staticmethod
    def attr(span, key):
        for a in span["attributes"]:
            if a["key"] == key:
                v = a["value"]
                return v.get("stringValue", v.get("intValue"))
        return None

    def call(self, headers=None):
        status, _, body = harness.http_request(self.web_port, "/hello", headers=headers)
        self.assertEqual(status, 200, body)
        return {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in body.splitlines()[1:]) if v}

    def test_one_trace_through_two_sidecars(self):
        echoed = self.call()
        tp = echoed["traceparent"]
        self.assertRegex(tp, r"^00-[0-9a-f]{32}-[0-9a-f]{16}-01$")
        trace_id, app_parent = tp.split("-")[1], tp.split("-")[2]
        spans = self.spans(trace_id, 4)
        self.assertEqual(len(spans), 4, spans)
        by = {(s["service"], s["kind"]): s for s in spans}
        web_server, web_client = by[("web", 2)], by[("web", 3)]
        api_server, api_client = by[("api", 2)], by[("api", 3)]
        self.assertNotIn("parentSpanId", web_server)  # the root: the caller sent no context
        self.assertEqual(web_client["parentSpanId"], web_server["spanId"])
        self.assertEqual(api_server["parentSpanId"], web_client["spanId"])
        self.assertEqual(api_client["parentSpanId"], api_server["spanId"])
        self.assertEqual(app_parent, api_client["spanId"])
        self.assertEqual(self.attr(web_server, "strait.route"), "web-out-route")
        self.assertEqual(self.attr(web_server, "strait.cluster"), "api")
        self.assertEqual(self.attr(web_server, "http.response.status_code"), "200")
        self.assertEqual(self.attr(web_server, "url.path"), "/hello")
        self.assertEqual(self.attr(api_client, "server.address"), "127.0.0.1:%s" % self.attr(api_client, "server.address").split(":")[1])
        self.assertEqual(self.attr(api_client, "strait.cluster"), "app")
        for s in spans:
            self.assertLessEqual(int(s["startTimeUnixNano"]), int(s["endTimeUnixNano"]))
            self.assertEqual(s["status"]["code"], 0)
        # The access log's trace id (none configured here) and the stats agree on the export.
        wait_until(lambda: re.search(r"^strait_tracing_spans_exported_total [2-9]", harness.http_get(
            self.admin["web"], "/stats")[2], re.M), 10, message="web's spans counted as exported")

    def test_a_w3c_caller_is_continued_and_its_decision_followed(self):
        echoed = self.call({"traceparent": "00-%s-%s-01" % (TRACE, PARENT), "tracestate": "vendor=abc"})
        self.assertTrue(echoed["traceparent"].startswith("00-%s-" % TRACE), echoed)
        self.assertEqual(echoed["tracestate"], "vendor=abc")
        spans = self.spans(TRACE, 4)
        roots = [s for s in spans if s["service"] == "web" and s["kind"] == 2]
        self.assertEqual(roots[0]["parentSpanId"], PARENT)
        # Not sampled by the caller: propagated as such, nothing exported.
        unsampled = "0af7651916cd43dd8448eb211c80319c"
        echoed = self.call({"traceparent": "00-%s-%s-00" % (unsampled, PARENT)})
        self.assertTrue(echoed["traceparent"].startswith("00-%s-" % unsampled) and echoed["traceparent"].endswith("-00"))
        marker = self.call()  # a sampled one after it: once its spans are in, the other's would be too
        self.spans(marker["traceparent"].split("-")[1], 4)
        self.assertEqual(self.spans(unsampled, 0), [])

    def test_a_request_without_a_route_has_its_span(self):
        trace = "0123456789abcdef0123456789abcdef"
        status, _, _ = harness.http_request(self.web_port, "/missing",
                                            headers={"traceparent": "00-%s-%s-01" % (trace, PARENT)})
        self.assertEqual(status, 404)
        [span] = self.spans(trace, 1)
        self.assertEqual((span["service"], span["kind"], span["parentSpanId"]), ("web", 2, PARENT))
        self.assertEqual(self.attr(span, "http.response.status_code"), "404")
        self.assertEqual(self.attr(span, "strait.response_flags"), "no_route")
        self.assertEqual(span["status"]["code"], 2)

    def test_a_b3_caller_is_continued(self):
        b3_trace, b3_span = "80f198ee56343ba864fe8b2a57d3eff7", "e457b5a2e4d86bd1"
        echoed = self.call({"b3": "%s-%s-1" % (b3_trace, b3_span)})
        self.assertRegex(echoed["b3"], r"^%s-[0-9a-f]{16}-1$" % b3_trace)
        self.assertNotEqual(echoed["b3"].split("-")[1], b3_span)  # our span is the app's parent now
        spans = self.spans(b3_trace, 4)
        self.assertEqual([s for s in spans if s["service"] == "web" and s["kind"] == 2][0]["parentSpanId"], b3_span)

    def test_without_a_collector_requests_are_served_and_spans_counted(self):
        self.collector.stop()
        for _ in range(5):
            self.call()
        wait_until(lambda: re.search(r"^strait_tracing_spans_failed_total [1-9]", harness.http_get(
            self.admin["web"], "/stats")[2], re.M), 20, message="spans counted as failed")


if __name__ == "__main__":
    harness.main()
