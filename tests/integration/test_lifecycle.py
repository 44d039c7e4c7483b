#!/usr/bin/env python3
"""The sidecar's lifecycle (the mesh issue). Start: `strait-sidecar wait-ready` blocks until
the sidecar's /ready answers 200, so an app can wait for its sidecar. Graceful drain: on SIGTERM a sidecar stops accepting, lets the
requests in flight finish (HTTP/1.1 answered with connection: close, HTTP/2 GOAWAY), then
exits 0; POST /drain on the admin port does the same without exiting. /ready answers 503
DRAINING meanwhile, so a probe or a load balancer stops sending first."""

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import free_port, generation, route, wait_until  # noqa: E402

IN_FLIGHT = 10
# Hang bounds scale with the build's speed (harness.scaled, when the harness has it).
scaled = getattr(harness, "scaled", lambda seconds: seconds)
HOLD_MS = 4000  # how long the upstream holds each request: the drain happens meanwhile


class DrainTest(harness.StraitTestCase):

    def start(self, drain_time="30s"):
        upstream = self.start_upstream("slow", threads=IN_FLIGHT + 2)
        self.port = free_port()
        gen = generation(self.port, {"*": [route("/", "backend", timeout="60s")]}, {"backend": [upstream]})
        config_dir = self.make_config_dir()
        self.write_config(config_dir, "mesh.yaml", gen)
        self.admin = self.start_sidecar("web-1", "web", self.start_control(config_dir), workers=2,
                                        drain_time=drain_time)
        self.sidecar = [p for p in self.procs if p.name == "sidecar-web-1"][0]

    def stat(self, name, labels=""):
        body = harness.http_get(self.admin, "/stats")[2]
        m = re.search(r"^%s%s (\d+)$" % (re.escape(name), re.escape(labels)), body, re.M)
        return int(m.group(1)) if m else None

    def slow_requests(self):
        """IN_FLIGHT requests the upstream holds for HOLD_MS; returns a function that joins
        them and gives [(status, connection header)]."""
        results = [None] * IN_FLIGHT

        def run(i):
            try:
                status, headers, _ = harness.http_get(
                    self.port, "/slow/%d?delay_ms=%d" % (i, HOLD_MS), timeout=scaled(60))
                results[i] = (status, headers.get("connection"))
            except OSError as e:
                results[i] = repr(e)
        threads = [threading.Thread(target=run, args=(i,)) for i in range(IN_FLIGHT)]
        for t in threads:
            t.start()
        wait_until(lambda: self.stat("strait_cluster_rq_active", '{cluster="backend"}') == IN_FLIGHT,
                   scaled(20), message="%d requests in flight" % IN_FLIGHT)

        def join():
            for t in threads:
                t.join(scaled(60))
            return results
        return join

    def refused(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=2) as s:
                s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                return s.recv(1) == b""  # accepted by nobody: reset or closed
        except (ConnectionRefusedError, ConnectionResetError):
            return True

    def test_sigterm_loses_no_request_in_flight(self):
        self.start()
        join = self.slow_requests()
        self.sidecar.popen.send_signal(signal.SIGTERM)
        wait_until(lambda: harness.http_get(self.admin, "/ready")[0] == 503, scaled(10),
                   message="/ready 503 while draining")
        self.assertEqual(harness.http_get(self.admin, "/ready")[2], "DRAINING\n")
        wait_until(self.refused, scaled(10), message="new connections refused")
        results = join()
        self.assertEqual(results, [(200, "close")] * IN_FLIGHT)
        try:
            code = self.sidecar.popen.wait(timeout=scaled(20))
        except subprocess.TimeoutExpired:
            self.fail("the sidecar did not exit once drained")
        self.assertEqual(code, 0, self.sidecar.log_tail())

    def test_sigterm_lets_http2_streams_finish(self):
        self.start()
        uris = ["http://127.0.0.1:%d/h2/%d?delay_ms=%d" % (self.port, i, HOLD_MS) for i in range(IN_FLIGHT)]
        client = subprocess.Popen(["nghttp", "-n", "--stat"] + uris, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True)
        self.addCleanup(lambda: client.poll() is None and client.kill())
        wait_until(lambda: self.stat("strait_cluster_rq_active", '{cluster="backend"}') == IN_FLIGHT,
                   scaled(20), message="%d streams in flight" % IN_FLIGHT)
        self.sidecar.popen.send_signal(signal.SIGTERM)
        out, _ = client.communicate(timeout=scaled(60))
        self.assertEqual(client.returncode, 0, out)
        self.assertEqual(out.count(" 200 "), IN_FLIGHT, out)  # --stat: one row per stream
        self.assertEqual(self.sidecar.popen.wait(timeout=scaled(20)), 0, self.sidecar.log_tail())

    def test_admin_drain_keeps_running_and_closes_idle_connections(self):
        self.start()
        idle = http.client.HTTPConnection("127.0.0.1", self.port, timeout=scaled(10))
        self.addCleanup(idle.close)
        idle.request("GET", "/first")
        self.assertEqual(idle.getresponse().read() is not None, True)
        self.assertEqual(harness.http_request(self.admin, "/drain", method="GET")[0], 405)
        self.assertEqual(self.stat("strait_server_draining"), 0)
        status, _, body = harness.http_request(self.admin, "/drain", method="POST")
        self.assertEqual((status, body), (200, "DRAINING\n"))
        self.assertEqual(harness.http_get(self.admin, "/ready")[0], 503)
        self.assertEqual(self.stat("strait_server_draining"), 1)
        wait_until(self.refused, scaled(10), message="new connections refused")
        # The idle keep-alive connection was closed by the sidecar.
        wait_until(lambda: self.stat("strait_downstream_cx_active") == 0, scaled(10),
                   message="idle connection closed")
        self.assertTrue(self.sidecar.alive())


class WaitReadyTest(harness.StraitTestCase):

    def wait_ready(self, admin_port, timeout_s):
        return subprocess.run([harness.binary("sidecar/strait-sidecar"), "wait-ready", "--admin",
                               "127.0.0.1:%d" % admin_port, "--timeout", str(timeout_s)],
                              capture_output=True, text=True, timeout=scaled(60) + timeout_s)

    def test_blocks_until_a_generation_is_live(self):
        # Nothing listens yet: it gives up after its timeout, saying why.
        r = self.wait_ready(free_port(), 1)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("not ready after 1000 ms", r.stderr)
        # A sidecar whose control plane is not there (yet) is up but not ready.
        down = free_port()
        admin = self.start_sidecar("web-1", "web", down, workers=1, wait_ready=False)
        r = self.wait_ready(admin, 1)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("503 NOT READY", r.stderr)
        # Once a generation is live it returns at once, 0.
        port = free_port()
        config_dir = self.make_config_dir()
        self.write_config(config_dir, "mesh.yaml",
                          generation(port, {"*": [route("/", "backend")]}, {"backend": [self.start_upstream("up")]}))
        control = self.start_control(config_dir)
        admin = self.start_sidecar("web-2", "web", control, workers=1, wait_ready=False)
        r = self.wait_ready(admin, int(scaled(30)))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(harness.http_get(port, "/")[0], 200)


class GenerationCacheTest(harness.StraitTestCase):

    def test_restart_without_control_plane_serves_the_last_generation(self):
        port = free_port()
        config_dir = self.make_config_dir()
        self.write_config(config_dir, "mesh.yaml",
                          generation(port, {"*": [route("/", "backend")]}, {"backend": [self.start_upstream("up")]}))
        control_port = self.start_control(config_dir, port=free_port())
        cache = self.path("generation.cache")
        extra = "generation_cache_file: %s\n" % cache
        self.start_sidecar("web-1", "web", control_port, workers=1, extra_bootstrap=extra)
        self.assertEqual(harness.http_get(port, "/")[0], 200)
        wait_until(lambda: os.path.exists(cache), scaled(10), message="generation cache written")
        self.assertEqual(os.stat(cache).st_mode & 0o777, 0o600)  # it holds the generation's secrets
        first = [p for p in self.procs if p.name == "sidecar-web-1"][0]
        self.assertEqual(first.stop(), 0)
        self.assertEqual(self.control.stop(), 0)

        # Restarted while the control plane is down: it serves the cached generation, marked stale.
        admin = self.start_sidecar("web-2", "web", control_port, workers=1, extra_bootstrap=extra)
        status, _, body = harness.http_get(admin, "/ready")
        self.assertEqual(status, 200)
        self.assertIn("stale", body)
        self.assertIn("strait_generation_stale 1", harness.http_get(admin, "/stats")[2])
        self.assertEqual(harness.http_get(port, "/")[0], 200)

        # The control plane comes back: its generation replaces the copy, no longer stale.
        self.start_control(config_dir, port=control_port)
        wait_until(lambda: harness.http_get(admin, "/ready")[2] == "LIVE\n", scaled(20),
                   message="fresh generation from the control plane")
        self.assertIn("strait_generation_stale 0", harness.http_get(admin, "/stats")[2])
        self.assertEqual(harness.http_get(port, "/")[0], 200)

    def test_a_corrupt_cache_is_ignored(self):
        cache = self.path("generation.cache")
        harness.write_file(cache, "not a generation")
        admin = self.start_sidecar("web-1", "web", free_port(), workers=1, wait_ready=False,
                                   extra_bootstrap="generation_cache_file: %s\n" % cache)
        wait_until(lambda: "not a cached generation" in [p for p in self.procs if p.name == "sidecar-web-1"][0].log_tail(),
                   scaled(10), message="the corrupt cache reported")
        self.assertEqual(harness.http_get(admin, "/ready")[0], 503)


if __name__ == "__main__":
    harness.main()
