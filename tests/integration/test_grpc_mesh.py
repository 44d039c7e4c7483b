#!/usr/bin/env python3
"""gRPC through the mesh: the project's C++ echo client and server (tests/grpc/) through one
sidecar and through two (front -> HTTP/2 -> mid -> HTTP/2 -> server). All four call kinds,
message-by-message streaming, trailers with grpc-status/grpc-message and a custom trailer,
deadlines, and a dead upstream answered with a gRPC status instead of an HTTP error page."""

import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import free_port, listener, route  # noqa: E402

SERVER = "tests/grpc/strait-grpc-echo-server"
CLIENT = "tests/grpc/strait-grpc-echo-client"
STATUS_LINE = re.compile(r"^status=(\S+) message=(.*) trailer=(.*)$")
REPLY_LINE = re.compile(r"^reply index=(\d+) t_ms=(\d+) message=(.*) peer_headers=(.*)$")



def vhost(cluster):
    return {"virtual_hosts": [{"name": "all", "domains": ["*"], "routes": [route("/", cluster)]}]}


class GrpcMeshBase:
    HOPS = 1

    def setUp(self):
        super().setUp()
        port_file = self.path("echo.port")
        proc = self.spawn("grpc-echo-server", [harness.binary(SERVER), "--listen", "127.0.0.1:0",
                                               "--port-file", port_file])
        echo = self.wait_port_file(proc, port_file)
        self.front, mid, self.dead = free_port(), free_port(), free_port()
        h2 = lambda name, port: ({"name": name, "connect_timeout": "1s", "protocol": "HTTP2"},
                                 {"cluster_name": name, "endpoints": [{"address": "127.0.0.1", "port": port}]})
        clusters = [h2("echo", echo), h2("mid", mid), h2("nowhere", free_port())]
        gen = {
            "listeners": [listener("front", self.front, "front", "front"),
                          listener("dead", self.dead, "dead", "front"),
                          listener("mid", mid, "mid", "mid")],
            "route_configs": [dict(name="front", **vhost("mid" if self.HOPS == 2 else "echo")),
                              dict(name="dead", **vhost("nowhere")),
                              dict(name="mid", **vhost("echo"))],
            "clusters": [c for c, _ in clusters],
            "load_assignments": [la for _, la in clusters],
        }
        config_dir = self.make_config_dir()
        self.write_config(config_dir, "mesh.yaml", gen)
        control = self.start_control(config_dir)
        if self.HOPS == 2:
            self.start_sidecar("mid-1", "mid", control)
        self.start_sidecar("front-1", "front", control)

    def call(self, mode, *extra, port=None):
        args = [harness.binary(CLIENT), "--target", "127.0.0.1:%d" % (port or self.front), "--call", mode]
        if "--deadline-ms" not in extra and mode != "deadline":
            # The client's default deadline (30 s) is a hang bound here: scale it.
            args += ["--deadline-ms", str(int(harness.scaled(30) * 1000))]
        r = subprocess.run(args + list(extra), capture_output=True, text=True, timeout=harness.scaled(60))
        lines = r.stdout.splitlines()
        self.assertTrue(lines, "no output; stderr: %s" % r.stderr)
        status = STATUS_LINE.match(lines[-1])
        self.assertIsNotNone(status, "last line: %r" % lines[-1])
        replies = [REPLY_LINE.match(line) for line in lines[:-1]]
        self.assertTrue(all(replies), "unexpected lines: %r" % lines)
        self.assertEqual(r.returncode, 0, "%s\n%s" % (status.group(0), r.stderr))
        return replies, status

    def test_unary_with_metadata_and_trailer(self):
        replies, status = self.call("unary", "--message", "ping", "--metadata", "x-request-id=r1")
        self.assertEqual([m.group(3) for m in replies], ["ping"])
        self.assertIn("x-request-id=r1", replies[0].group(4))
        self.assertEqual((status.group(1), status.group(3)), ("OK", "done"))

    def test_client_stream(self):
        replies, status = self.call("client_stream", "--messages", "4", "--message", "m")
        self.assertEqual(replies[0].group(3), "m-0,m-1,m-2,m-3")
        self.assertEqual(status.group(3), "done")

    def test_server_stream_arrives_message_by_message(self):
        # 300 ms apart (900 ms first to last): only a client stalled for most of that could
        # see them bunched up, even on a slow, busy machine.
        replies, _ = self.call("server_stream", "--count", "4", "--delay-ms", "300")
        self.assertEqual([int(m.group(1)) for m in replies], [0, 1, 2, 3])
        times = [int(m.group(2)) for m in replies]
        # Not buffered by the proxies: the replies keep the server's spacing.
        self.assertGreaterEqual(times[-1] - times[0], 450, times)

    def test_bidi(self):
        replies, _ = self.call("bidi", "--messages", "5", "--message", "b")
        self.assertEqual([m.group(3) for m in replies], ["b-%d" % i for i in range(5)])

    def test_deadline(self):
        _, status = self.call("deadline", "--deadline-ms", "200")
        self.assertEqual(status.group(1), "DEADLINE_EXCEEDED")

    def test_error_status_and_message_pass_through(self):
        _, status = self.call("fail", "--fail-code", "PERMISSION_DENIED")
        self.assertEqual(status.groups(), ("PERMISSION_DENIED", "requested failure", "done"))

    def test_dead_upstream_is_a_grpc_error(self):
        _, status = self.call("unary", "--expect-code", "UNAVAILABLE", port=self.dead)
        self.assertEqual(status.group(1), "UNAVAILABLE")


class GrpcOneSidecarTest(GrpcMeshBase, harness.StraitTestCase):
    HOPS = 1


class GrpcTwoSidecarsTest(GrpcMeshBase, harness.StraitTestCase):
    HOPS = 2


if __name__ == "__main__":
    harness.main()
