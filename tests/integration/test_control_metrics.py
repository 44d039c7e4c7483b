#!/usr/bin/env python3
"""strait-control's /metrics (--metrics-listen) follows what happens to the mesh: the connected
and per-version ACK gauges, the push-latency histogram after an ACKed change, the NACK counter
per resource, refused config loads; a malformed request gets 400 and the server keeps serving.
`straitctl status --watch --until-converged` exits 0 once a change is ACKed."""

import os
import re
import socket
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import free_port, generation, http_get, route, wait_until  # noqa: E402

_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_metrics(text):
    """{(name, frozenset of (label, value)): float}; fails on a line that is not Prometheus text."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = _SAMPLE.match(line)
        assert m, "not Prometheus text: %r" % line
        labels = frozenset(_LABEL.findall(m.group(3) or ""))
        out[(m.group(1), labels)] = float(m.group(4))
    return out


class ControlMetricsTest(harness.StraitTestCase):

    def setUp(self):
        super().setUp()
        self.upstream = self.start_upstream("backend")
        self.listener_port = free_port()
        self.config_dir = self.make_config_dir()
        self.write_config(self.config_dir, "mesh.yaml", self.config("one"))
        metrics_port_file = self.path("metrics.port")
        self.control_port = self.start_control(self.config_dir, extra_args=[
            "--metrics-listen", "127.0.0.1:0", "--metrics-port-file", metrics_port_file])
        self.metrics_port = self.wait_port_file(self.control, metrics_port_file)
        self.start_sidecar("web-1", "web", self.control_port)
        self.v1 = harness.straitctl_status(self.control_port)["version"]
        self.wait_acked(self.control_port, "web-1", self.v1)

    def config(self, tag, extra_listeners=()):
        return generation(self.listener_port, {"*": [route("/", "svc", response_headers_to_add=[
            harness.header("x-tag", tag)])]}, {"svc": [self.upstream]}, extra_listeners=extra_listeners)

    def metrics(self):
        status, headers, body = http_get(self.metrics_port, "/metrics")
        self.assertEqual(status, 200, body)
        self.assertTrue(headers["content-type"].startswith("text/plain; version=0.0.4"), headers)
        return parse_metrics(body)

    def value(self, name, **labels):
        return self.metrics().get((name, frozenset(labels.items())), 0.0)

    def change_config(self, tag, extra_listeners=()):
        """Writes a changed config; returns the new version once the control plane serves it."""
        before = harness.straitctl_status(self.control_port)["version"]
        self.write_config(self.config_dir, "mesh.yaml", self.config(tag, extra_listeners))
        return self.wait_serving_version(self.control_port, lambda v: v != before)

    def test_gauges_and_push_latency(self):
        self.assertEqual(self.value("strait_control_sidecars_connected"), 1)
        wait_until(lambda: self.value("strait_control_sidecars_acked", version=self.v1) == 1, 10,
                   message="version gauge counts web-1")
        count = self.value("strait_control_push_latency_seconds_count")
        v2 = self.change_config("two")
        self.wait_acked(self.control_port, "web-1", v2)
        wait_until(lambda: self.value("strait_control_push_latency_seconds_count") > count, 10,
                   message="push latency observed")
        m = self.metrics()
        self.assertEqual(m[("strait_control_push_latency_seconds_bucket", frozenset({("le", "+Inf")}))],
                         m[("strait_control_push_latency_seconds_count", frozenset())])
        self.assertGreater(m[("strait_control_push_latency_seconds_sum", frozenset())], 0)
        self.assertEqual(m.get(("strait_control_sidecars_acked", frozenset({("version", v2)}))), 1)
        self.assertNotIn(("strait_control_sidecars_acked", frozenset({("version", self.v1)})), m)

    def test_nack_counts_the_failing_resource(self):
        holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.addCleanup(holder.close)
        holder.bind(("127.0.0.1", free_port()))
        holder.listen(1)
        blocked = {"name": "blocked", "address": "127.0.0.1", "port": holder.getsockname()[1],
                   "route_config": "main"}
        v2 = self.change_config("two", extra_listeners=[blocked])

        def nacked():
            s = harness.straitctl_status(self.control_port)["sidecars"].get("web-1")
            return s and s["nacked"] == v2
        wait_until(nacked, 10, message="web-1 NACKs %s" % v2)
        wait_until(lambda: self.value("strait_control_nacks_total", resource="listener 'blocked'") >= 1, 10,
                   message="NACK counted for listener 'blocked'")
        # Nothing else was named in the NACK.
        nacks = {k: v for k, v in self.metrics().items() if k[0] == "strait_control_nacks_total"}
        self.assertEqual(set(dict(k[1])["resource"] for k in nacks), {"listener 'blocked'"}, nacks)

    def test_refused_load_is_counted(self):
        self.assertEqual(self.value("strait_control_config_last_load_refused"), 0)
        refused = self.value("strait_control_config_loads_refused_total")
        harness.write_file(os.path.join(self.config_dir, "mesh.yaml"), "listeners: [\n")
        wait_until(lambda: self.value("strait_control_config_loads_refused_total") > refused, 10,
                   message="refused load counted")
        self.assertEqual(self.value("strait_control_config_last_load_refused"), 1)
        self.assertEqual(harness.straitctl_status(self.control_port)["version"], self.v1)

    def test_malformed_request_gets_400_and_server_keeps_serving(self):
        for raw in (b"garbage\r\n\r\n", b"GET /metrics HTTP/9.9\r\n\r\n", b"\x00\x01\x02\r\n\r\n"):
            with socket.create_connection(("127.0.0.1", self.metrics_port), timeout=harness.scaled(5)) as s:
                s.sendall(raw)
                reply = b""
                while True:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    reply += chunk
            self.assertTrue(reply.startswith(b"HTTP/1.1 400 "), reply)
        # A client that connects and says nothing does not stop the others for good.
        silent = socket.create_connection(("127.0.0.1", self.metrics_port))
        self.addCleanup(silent.close)
        self.assertEqual(http_get(self.metrics_port, "/nope")[0], 404)
        self.assertEqual(self.value("strait_control_sidecars_connected"), 1)

    def test_straitctl_watch_until_converged(self):
        straitctl = [harness.binary("control/straitctl"), "--control", "127.0.0.1:%d" % self.control_port,
                     "--token-file", harness.OPERATOR_TOKEN_FILES[self.control_port]]
        v2 = self.change_config("two")
        r = subprocess.run(straitctl + ["status", "--watch", "--until-converged", "--interval", "100ms",
                                        "--timeout", "%ds" % harness.scaled(30)],
                           capture_output=True, text=True, timeout=harness.scaled(60))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("converged: 1/1 connected sidecars acked %s" % v2, r.stdout)
        self.assertEqual(harness.straitctl_status(self.control_port)["sidecars"]["web-1"]["acked"], v2)
        # Plain `status` output is unchanged by the watch mode's existence.
        self.assertEqual(harness.straitctl_status(self.control_port)["version"], v2)

    def test_straitctl_watch_times_out_while_a_sidecar_nacks(self):
        holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.addCleanup(holder.close)
        holder.bind(("127.0.0.1", free_port()))
        holder.listen(1)
        blocked = {"name": "blocked", "address": "127.0.0.1", "port": holder.getsockname()[1],
                   "route_config": "main"}
        v2 = self.change_config("two", extra_listeners=[blocked])
        straitctl = [harness.binary("control/straitctl"), "--control", "127.0.0.1:%d" % self.control_port,
                     "--token-file", harness.OPERATOR_TOKEN_FILES[self.control_port]]
        r = subprocess.run(straitctl + ["status", "--until-converged", "--interval", "100ms", "--timeout", "2s"],
                           capture_output=True, text=True, timeout=harness.scaled(60))
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("not converged", r.stderr)
        self.assertIn("serving version %s" % v2, r.stdout)


if __name__ == "__main__":
    harness.main()
