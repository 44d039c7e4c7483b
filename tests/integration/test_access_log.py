#!/usr/bin/env python3
"""Access logs (the observability issue): a real sidecar writes one JSON line per request to
a file, and each line explains the request on its own. Checked field by field for a success,
a retried request, a timeout, an upstream reset and a 404; a text template; the filter
(only errors); SIGUSR1 reopening the file after logrotate moved it; and a log on a FIFO
nobody reads: requests keep being served, lines are dropped and counted, no worker waits.
The same requests move the per-cluster and per-route histograms and counters of /stats."""

import json
import os
import re
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import free_port, generation, route, wait_until  # noqa: E402


class AccessLogTest(harness.StraitTestCase):

    def start(self, access_logs, second_logs=None):
        self.port = free_port()
        good = self.start_upstream("good")
        bad = self.start_upstream("bad", extra_args=["--status", "503"])
        routes = [
            route("/retry", "flaky", retry_policy={"retry_on": ["5xx"], "num_retries": 1}),
            route("/slow", "backend", timeout="0.2s"),
            route("/", "backend"),
        ]
        gen = generation(self.port, {("api.local", "api.local:%d" % self.port): routes},
                         {"backend": [good], "flaky": [bad, good]})
        gen["route_configs"][0]["virtual_hosts"][0]["routes"][0]["name"] = "retry-route"
        gen["listeners"][0]["access_logs"] = access_logs
        if second_logs is not None:
            self.port2 = free_port()
            second = dict(gen["listeners"][0], name="second", port=self.port2, access_logs=second_logs)
            gen["listeners"].append(second)
        config_dir = self.make_config_dir()
        self.write_config(config_dir, "mesh.yaml", gen)
        self.admin = self.start_sidecar("web-1", "web", self.start_control(config_dir))
        self.sidecar = [p for p in self.procs if p.name == "sidecar-web-1"][-1]

    def get(self, path, host="api.local", port=None):
        return harness.http_request(port or self.port, path, headers={"host": host})

    def lines(self, path, n):
        """The first n lines of the log at `path`, parsed, once they are all there."""
        def ready():
            try:
                with open(path) as f:
                    return len(f.read().splitlines()) >= n
            except FileNotFoundError:
                return False
        wait_until(ready, 10, message="%d access log lines in %s" % (n, path))
        with open(path) as f:
            return [json.loads(line) for line in f.read().splitlines()]

    def stat(self, name):
        body = harness.http_get(self.admin, "/stats")[2]
        return int(re.search(r"^%s (\d+)$" % re.escape(name), body, re.M).group(1))

    def test_json_lines_explain_each_request(self):
        log = self.path("access.log")
        self.start([{"path": log}])
        self.assertEqual(self.get("/ok?x=1")[0], 200)
        for _ in range(6):  # round robin over bad, good: some first attempts fail and are retried
            self.assertEqual(self.get("/retry")[0], 200)
        self.assertEqual(self.get("/slow?delay_ms=3000")[0], 504)
        self.assertEqual(self.get("/reset?reset=1")[0], 502)  # closed without a response
        self.assertEqual(self.get("/x", host="other.local")[0], 404)
        r = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--http2-prior-knowledge",
                            "-H", "host: api.local", "http://127.0.0.1:%d/h2" % self.port],
                           capture_output=True, text=True, timeout=harness.scaled(20))
        self.assertEqual(r.stdout, "200", r.stderr)
        entries = self.lines(log, 11)
        by_path = {}
        for e in entries:
            by_path.setdefault(e["path"], []).append(e)
        ok = by_path["/ok?x=1"][0]
        self.assertEqual(ok["method"], "GET")
        self.assertEqual(ok["authority"], "api.local")
        self.assertEqual(ok["protocol"], "HTTP/1.1")
        self.assertEqual(ok["response_code"], 200)
        self.assertEqual(ok["response_flags"], "")
        self.assertEqual(ok["cluster"], "backend")
        self.assertRegex(ok["upstream_host"], r"^127\.0\.0\.1:\d+$")
        self.assertEqual(ok["attempts"], 1)
        self.assertGreater(ok["bytes_sent"], 0)
        self.assertIsInstance(ok["time_to_first_upstream_byte_ms"], int)
        self.assertGreaterEqual(ok["duration_ms"], ok["time_to_first_upstream_byte_ms"])
        self.assertRegex(ok["start_time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        self.assertRegex(ok["request_id"], r"^[0-9a-f-]{36}$")
        self.assertEqual(ok["client_ip"], "127.0.0.1")
        self.assertEqual(ok["listener"], "ingress")
        retried = [e for e in by_path["/retry"] if e["attempts"] == 2]
        self.assertTrue(retried, by_path["/retry"])
        self.assertEqual(retried[0]["response_code"], 200)
        self.assertEqual(retried[0]["route"], "retry-route")
        self.assertEqual(retried[0]["cluster"], "flaky")
        timeout = by_path["/slow?delay_ms=3000"][0]
        self.assertEqual((timeout["response_code"], timeout["response_flags"]), (504, "upstream_request_timeout"))
        self.assertIsNone(timeout["time_to_first_upstream_byte_ms"])
        reset = by_path["/reset?reset=1"][0]
        self.assertEqual(reset["response_code"], 502)
        self.assertIn("upstream_reset", reset["response_flags"])
        self.assertTrue(reset["response_code_details"], reset)
        not_found = by_path["/x"][0]
        self.assertEqual((not_found["response_code"], not_found["response_flags"]), (404, "no_route"))
        self.assertEqual(not_found["authority"], "other.local")
        self.assertEqual(not_found["cluster"], "")
        h2 = by_path["/h2"][0]
        self.assertEqual((h2["protocol"], h2["response_code"], h2["authority"]), ("HTTP/2", 200, "api.local"))
        # Counted once the writer's write() returned (the lines may be read a moment before).
        wait_until(lambda: self.stat("strait_access_log_written_total") == 11, 10, message="11 lines counted")

    def test_text_template_and_only_errors(self):
        text, errors = self.path("text.log"), self.path("errors.log")
        self.start([{"path": text, "format": "TEXT", "text_format": "%METHOD% %PATH% %RESPONSE_CODE% %RESPONSE_FLAGS%"},
                    {"path": errors, "filter": {"only_errors": True}}])
        self.assertEqual(self.get("/a")[0], 200)
        self.assertEqual(self.get("/b", host="nowhere")[0], 404)
        wait_until(lambda: os.path.exists(text) and len(open(text).read().splitlines()) == 2, 10,
                   message="two text lines")
        # Lines are in the order requests end, on whichever worker took them: compare as a set.
        self.assertEqual(sorted(open(text).read().splitlines()), ["GET /a 200 -", "GET /b 404 no_route"])
        self.assertEqual([e["path"] for e in self.lines(errors, 1)], ["/b"])

    def test_histograms_and_counters_by_cluster_and_route(self):
        # The same requests, seen in /stats: per cluster and per named route, histograms of the
        # duration and of the time to the first upstream byte, status classes and flags.
        self.start([])
        body = harness.http_get(self.admin, "/stats")[2]
        self.assertIn('strait_cluster_rq_duration_seconds_count{cluster="backend"} 0', body)
        for _ in range(3):
            self.assertEqual(self.get("/retry")[0], 200)
        self.assertEqual(self.get("/slow?delay_ms=3000")[0], 504)
        # A request is counted when its stream ends, just after the response: wait for it.
        wait_until(lambda: harness.http_get(self.admin, "/stats")[2].find(
            "strait_downstream_rq_active 0\n") >= 0, 10, message="every request's stream ended")
        body = harness.http_get(self.admin, "/stats")[2]
        self.assertIn('strait_route_rq_duration_seconds_count{route="retry-route"} 3', body)
        self.assertIn('strait_route_rq_total{route="retry-route",class="2xx"} 3', body)
        self.assertIn('strait_cluster_rq_total{cluster="flaky",class="2xx"} 3', body)
        self.assertIn('strait_cluster_rq_total{cluster="backend",class="5xx"} 1', body)
        self.assertIn('strait_cluster_rq_flag_total{cluster="backend",flag="upstream_request_timeout"} 1', body)
        # The timeout took at least 0.2 s: it is above the 0.1 s bucket, within +Inf.
        self.assertIn('strait_cluster_rq_duration_seconds_bucket{cluster="backend",le="0.1"} 0', body)
        self.assertIn('strait_cluster_rq_duration_seconds_bucket{cluster="backend",le="+Inf"} 1', body)
        self.assertIn('strait_cluster_upstream_time_seconds_count{cluster="flaky"} 3', body)
        self.assertIn('strait_cluster_upstream_time_seconds_count{cluster="backend"} 0', body)

    def test_sigusr1_reopens_the_file(self):
        log = self.path("access.log")
        self.start([{"path": log}])
        self.assertEqual(self.get("/before")[0], 200)
        self.lines(log, 1)
        os.rename(log, log + ".1")  # what logrotate does
        os.kill(self.sidecar.pid, signal.SIGUSR1)
        # Lines go to the new file once the writer has reopened it (the next batch after the
        # signal); until then they still reach the old one, so ask until one lands there.
        def new_file_has_a_line():
            self.assertEqual(self.get("/after")[0], 200)
            return os.path.exists(log) and "/after" in open(log).read()
        wait_until(new_file_has_a_line, 10, message="a line in the reopened file")
        self.assertIn("/before", open(log + ".1").read())

    def test_a_log_nobody_reads_never_blocks_a_worker(self):
        fifo = self.path("access.fifo")
        os.mkfifo(fifo)
        # Opened for reading (so that the sidecar can open it) and never read.
        reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
        self.addCleanup(os.close, reader)
        self.start([{"path": fifo}])
        client = harness.KeepAliveClient(self.port)
        self.addCleanup(client.close)
        query = "q=" + "x" * 6000  # ~6 KiB lines: the pipe (64 KiB) and the 4 MiB queue fill fast
        served = 0
        while self.stat("strait_access_log_dropped_total") == 0:
            self.assertEqual(client.get("/fill?" + query, headers={"host": "api.local"})[0], 200)
            served += 1
            self.assertLess(served, 3000, "no line was dropped")
        for _ in range(20):  # still served at once
            self.assertEqual(client.get("/more", headers={"host": "api.local"})[0], 200)


if __name__ == "__main__":
    harness.main()
