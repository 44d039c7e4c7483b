"""Self-test of the gRPC echo pair (tests/grpc/): strait-grpc-echo-client straight against
strait-grpc-echo-server, no proxy. Pins down what the mesh tests through the sidecar will rely
on: exit codes, one output line per message, the final status line and the trailer."""

import re
import subprocess

import harness

SERVER = "tests/grpc/strait-grpc-echo-server"
CLIENT = "tests/grpc/strait-grpc-echo-client"
STATUS_LINE = re.compile(r"^status=(\S+) message=(.*) trailer=(.*)$")
REPLY_LINE = re.compile(r"^reply index=(\d+) t_ms=(\d+) message=(.*) peer_headers=(.*)$")


class GrpcDirectTest(harness.StraitTestCase):

    def setUp(self):
        super().setUp()
        port_file = self.path("echo.port")
        proc = self.spawn("grpc-echo-server", [harness.binary(SERVER), "--listen",
                                               "127.0.0.1:0", "--port-file", port_file])
        self.port = self.wait_port_file(proc, port_file)

    def call(self, mode, *extra):
        """Runs the client; returns (exit code, [reply match], status match)."""
        args = [harness.binary(CLIENT), "--target", "127.0.0.1:%d" % self.port, "--call", mode]
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
        return r.returncode, replies, status

    def assert_ok(self, mode, *extra):
        code, replies, status = self.call(mode, *extra)
        self.assertEqual(code, 0, status.group(0))
        self.assertEqual(status.group(1), "OK")
        self.assertEqual(status.group(3), "done")
        return replies

    def test_unary(self):
        replies = self.assert_ok("unary", "--message", "ping", "--metadata", "x-request-id=r1")
        self.assertEqual(len(replies), 1)
        self.assertEqual(replies[0].group(3), "ping")
        self.assertEqual(replies[0].group(4), "x-request-id=r1")

    def test_client_stream(self):
        replies = self.assert_ok("client_stream", "--messages", "4", "--message", "m")
        self.assertEqual(len(replies), 1)
        self.assertEqual(replies[0].group(1), "4")
        self.assertEqual(replies[0].group(3), "m-0,m-1,m-2,m-3")

    def test_server_stream_message_by_message(self):
        # 300 ms apart (900 ms first to last): only a client stalled for most of that could
        # see them bunched up, even on a slow, busy machine.
        replies = self.assert_ok("server_stream", "--count", "4", "--delay-ms", "300")
        self.assertEqual([int(m.group(1)) for m in replies], [0, 1, 2, 3])
        # Written one by one with a delay before each: the first arrives long before the last.
        times = [int(m.group(2)) for m in replies]
        self.assertGreaterEqual(times[-1] - times[0], 450, times)

    def test_bidi(self):
        replies = self.assert_ok("bidi", "--messages", "5", "--message", "b")
        self.assertEqual([m.group(3) for m in replies], ["b-%d" % i for i in range(5)])

    def test_deadline(self):
        code, replies, status = self.call("deadline", "--deadline-ms", "100")
        self.assertEqual(code, 0, status.group(0))
        self.assertEqual(status.group(1), "DEADLINE_EXCEEDED")
        self.assertEqual(replies, [])

    def test_fail(self):
        code, _, status = self.call("fail", "--fail-code", "UNAVAILABLE")
        self.assertEqual(code, 0, status.group(0))
        self.assertEqual(status.groups(), ("UNAVAILABLE", "requested failure", "done"))

    def test_unexpected_status_exits_1(self):
        code, _, status = self.call("unary", "--expect-code", "NOT_FOUND")
        self.assertEqual(code, 1)
        self.assertEqual(status.group(1), "OK")
        code, _, status = self.call("fail", "--fail-code", "5", "--expect-code", "INTERNAL")
        self.assertEqual(code, 1)
        self.assertEqual(status.group(1), "NOT_FOUND")


if __name__ == "__main__":
    harness.main()
