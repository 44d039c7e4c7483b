#!/usr/bin/env python3
"""RFC 9113 sections 5 and 6, frame by frame, with a raw client (h2frames.py): each invalid
frame or stream-state violation is answered with the connection error (GOAWAY) or stream
error (RST_STREAM) and the error code the RFC gives; frames the RFC says to ignore leave the
connection serving. One fresh connection per case."""

import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import h2frames as h2  # noqa: E402
import harness  # noqa: E402
from harness import free_port, generation, route  # noqa: E402
from h2frames import frame  # noqa: E402

NO_ERROR, PROTOCOL_ERROR, FLOW_CONTROL_ERROR, STREAM_CLOSED, FRAME_SIZE_ERROR = 0x0, 0x1, 0x3, 0x5, 0x6
REFUSED_STREAM, COMPRESSION_ERROR = 0x7, 0x9
HEADERS, DATA, PRIORITY, RST, SETTINGS, PING, WINDOW_UPDATE, CONT = (
    h2.HEADERS, h2.DATA, h2.PRIORITY, h2.RST_STREAM, h2.SETTINGS, h2.PING, h2.WINDOW_UPDATE, h2.CONTINUATION)
EH, ES, ACK, PADDED = h2.END_HEADERS, h2.END_STREAM, h2.ACK, 0x8


def get(sid, path="/c"):
    return frame(HEADERS, EH | ES, sid, h2.request_block(path))


def trailers(sid):
    return frame(HEADERS, EH | ES, sid, h2.literal("x-trailer", "t"))


def open_stream(sid, path="/c"):
    """HEADERS without END_STREAM: the stream stays open for a request body."""
    return frame(HEADERS, EH, sid, h2.request_block(path))


def u32(v):
    return struct.pack(">I", v)


class H2ConformanceTest(harness.StraitTestCase):

    def setUp(self):
        super().setUp()
        upstream = self.start_upstream("backend")
        self.port = free_port()
        gen = generation(self.port, {"*": [route("/", "backend")]}, {"backend": [upstream]})
        config_dir = self.make_config_dir()
        self.write_config(config_dir, "mesh.yaml", gen)
        self.start_sidecar("web-1", "web", self.start_control(config_dir), workers=1)

    def send(self, data):
        conn = h2.RawH2(self.port)
        self.addCleanup(conn.close)
        conn.send(data)
        return conn

    def assert_connection_error(self, data, code, what):
        self.assertEqual(self.send(data).read_error(), ("goaway", code), what)

    def assert_stream_error(self, data, sid, code, what):
        # A stream error may be answered as a connection error of the same code (5.4.1: "an
        # endpoint MAY choose to treat a stream error as a connection error").
        self.assertIn(self.send(data).read_error(), (("rst", sid, code), ("goaway", code)), what)

    def assert_ignored(self, data, sid, resets, what):
        """The frames of `data` on stream `sid` are ignored: no GOAWAY, no RST_STREAM on `sid`
        but the error codes `resets`, and a request sent after them is served."""
        self.assert_ignored_on(self.send(data), sid, resets, what)

    def assert_ignored_on(self, conn, sid, resets, what):
        conn.send(get(101, "/after"))
        frames = conn.read_frames(101)
        self.assertEqual([f for f in frames if f[0] == h2.GOAWAY], [], what)
        self.assertEqual([int.from_bytes(p[0:4], "big") for t, _, s, p in frames if t == RST and s == sid], resets, what)
        self.assertTrue(any(s == 101 and t == HEADERS and p[:1] == b"\x88" for t, _, s, p in frames), what)

    def assert_still_serving(self, data, what):
        conn = self.send(data + get(101, "/after"))
        headers, _ = conn.read_stream(101)
        self.assertEqual(headers[:1], b"\x88", what)  # :status 200

    # --- 5.1 / 5.1.1 stream states and identifiers ---

    def test_stream_identifiers(self):
        self.assert_connection_error(frame(HEADERS, EH | ES, 2, h2.request_block()), PROTOCOL_ERROR,
                                     "even stream id from a client (5.1.1)")
        self.assert_connection_error(frame(HEADERS, EH | ES, 0, h2.request_block()), PROTOCOL_ERROR,
                                     "HEADERS on stream 0 (6.2)")

    def test_frames_on_idle_streams(self):
        self.assert_connection_error(frame(DATA, 0, 1, b"x"), PROTOCOL_ERROR, "DATA on an idle stream (5.1)")
        self.assert_connection_error(frame(RST, 0, 1, u32(0x8)), PROTOCOL_ERROR, "RST_STREAM on an idle stream (6.4)")
        self.assert_connection_error(frame(WINDOW_UPDATE, 0, 1, u32(1)), PROTOCOL_ERROR,
                                     "WINDOW_UPDATE on an idle stream (5.1)")

    def test_frames_on_half_closed_streams(self):
        # Stream 1 half-closed (remote) after END_STREAM (or closed, if the response was quick):
        # more DATA or HEADERS is STREAM_CLOSED (5.1).
        self.assert_stream_error(get(1) + frame(DATA, 0, 1, b"late"), 1, STREAM_CLOSED, "DATA after END_STREAM")
        self.assert_stream_error(get(1) + trailers(1), 1, STREAM_CLOSED, "HEADERS after END_STREAM")
        # WINDOW_UPDATE, PRIORITY and RST_STREAM are allowed in half-closed (remote) (5.1).
        self.assert_ignored(get(1) + frame(WINDOW_UPDATE, 0, 1, u32(100)) + frame(PRIORITY, 0, 1, u32(0) + b"\x10"),
                            1, [], "WINDOW_UPDATE and PRIORITY after END_STREAM")

    def test_frames_on_closed_streams(self):
        # Closed after END_STREAM both ways: any frame but PRIORITY, WINDOW_UPDATE and RST_STREAM
        # is a connection error STREAM_CLOSED (5.1 "closed").
        for late, what in ((frame(DATA, 0, 1, b"late"), "DATA"), (trailers(1), "HEADERS"), (get(1), "a reused id")):
            conn = self.send(get(1))
            conn.read_stream(1)
            conn.send(late)
            self.assertEqual(conn.read_error(), ("goaway", STREAM_CLOSED), what + " on a closed stream (5.1)")
        # WINDOW_UPDATE or RST_STREAM may cross the server's END_STREAM: ignored (5.1).
        conn = self.send(get(1))
        conn.read_stream(1)
        conn.send(frame(WINDOW_UPDATE, 0, 1, u32(100)) + frame(RST, 0, 1, u32(0x8)) + frame(WINDOW_UPDATE, 0, 1, u32(1)))
        self.assert_ignored_on(conn, 1, [], "WINDOW_UPDATE and RST_STREAM on a closed stream")

    def test_stream_ids_going_backwards(self):
        self.assertEqual(self.send(get(5) + get(3)).read_error(), ("goaway", PROTOCOL_ERROR),
                         "a new stream id lower than one already used (5.1.1)")
        self.assertEqual(self.send(get(1) + get(7) + open_stream(5)).read_error(), ("goaway", PROTOCOL_ERROR),
                         "a skipped stream id opened late (5.1.1)")

    def test_data_after_the_clients_rst_stream(self):
        data = open_stream(1) + frame(RST, 0, 1, u32(0x8)) + frame(DATA, 0, 1, b"late")
        self.assertEqual(self.send(data).read_error(), ("rst", 1, STREAM_CLOSED),
                         "a frame other than PRIORITY after RST_STREAM (5.1)")

    def test_frames_after_the_clients_rst_stream(self):
        reset = open_stream(1) + frame(RST, 0, 1, u32(0x8))
        for late, what in ((trailers(1), "HEADERS"), (frame(WINDOW_UPDATE, 0, 1, u32(100)), "WINDOW_UPDATE")):
            self.assertEqual(self.send(reset + late).read_error(), ("rst", 1, STREAM_CLOSED), what + " after RST_STREAM (5.1)")
        # PRIORITY is allowed; RST_STREAM is never answered with RST_STREAM (5.4.2); the first
        # other frame is answered, and what follows it is ignored (the stream is then reset by
        # the server too, and the client may have sent more before it saw that).
        late = (frame(PRIORITY, 0, 1, u32(0) + b"\x10") + frame(RST, 0, 1, u32(0x8)) + frame(DATA, 0, 1, b"late")
                + frame(DATA, 0, 1, b"later") + trailers(1))
        self.assert_ignored(reset + late, 1, [STREAM_CLOSED], "frames after RST_STREAM, answered once")

    def test_frames_on_a_stream_the_server_reset_are_ignored(self):
        # The client may have sent them before it saw the server's RST_STREAM (5.1 "closed").
        late = frame(DATA, 0, 1, b"body") + trailers(1) + frame(WINDOW_UPDATE, 0, 1, u32(100))
        malformed = frame(HEADERS, EH, 1, h2.request_block(extra=h2.literal("connection", "close")))  # 8.2.2
        self.assert_ignored(malformed + late, 1, [PROTOCOL_ERROR], "before the client saw RST_STREAM")
        conn = self.send(malformed)
        self.assertEqual(conn.read_error(), ("rst", 1, PROTOCOL_ERROR))
        conn.send(late)
        self.assert_ignored_on(conn, 1, [], "after the client saw RST_STREAM")
        connect = frame(HEADERS, EH, 1, h2.literal(":method", "CONNECT") + h2.literal(":authority", "localhost:443"))
        self.assert_ignored(connect + late, 1, [REFUSED_STREAM], "on a refused CONNECT")

    def test_concurrent_streams_over_the_limit(self):
        # The sidecar advertises SETTINGS_MAX_CONCURRENT_STREAMS 100: the 101st open stream is a
        # stream error PROTOCOL_ERROR or REFUSED_STREAM (5.1.2); the others stay open.
        data = b"".join(open_stream(2 * i + 1) for i in range(101))
        self.assertIn(self.send(data).read_error(), (("rst", 201, REFUSED_STREAM), ("rst", 201, PROTOCOL_ERROR)),
                      "HEADERS beyond the advertised concurrency (5.1.2)")

    def test_priority_on_a_closed_stream_is_ignored(self):
        # PRIORITY may arrive on any stream state, closed included (5.1).
        self.assert_still_serving(get(1) + frame(PRIORITY, 0, 1, u32(0) + b"\x10"), "PRIORITY on a closed stream")

    # --- 6.1 DATA ---

    def test_data(self):
        self.assert_connection_error(frame(DATA, 0, 0, b"x"), PROTOCOL_ERROR, "DATA on stream 0 (6.1)")
        self.assert_connection_error(open_stream(1) + frame(DATA, PADDED, 1, b"\x05abc"), PROTOCOL_ERROR,
                                     "padding longer than the payload (6.1)")

    # --- 6.2 / 6.10 HEADERS and CONTINUATION ---

    def test_header_blocks(self):
        self.assert_connection_error(frame(CONT, EH, 1, h2.literal("x", "y")), PROTOCOL_ERROR,
                                     "CONTINUATION without HEADERS (6.10)")
        self.assert_connection_error(frame(HEADERS, ES, 1, h2.request_block()) + frame(PING, 0, 0, b"12345678"),
                                     PROTOCOL_ERROR, "another frame inside a header block (6.10)")
        self.assert_connection_error(frame(HEADERS, EH | ES, 1, b"\xff\xff\xff\xff\xff"), COMPRESSION_ERROR,
                                     "an undecodable header block (4.3)")
        self.assert_connection_error(frame(HEADERS, EH | ES, 0, h2.request_block()), PROTOCOL_ERROR,
                                     "HEADERS on stream 0 (6.2)")
        self.assert_connection_error(frame(HEADERS, EH | ES | PADDED, 1, b"\x40" + h2.request_block()), PROTOCOL_ERROR,
                                     "HEADERS padding longer than the payload (6.2)")

    # --- 6.6 PUSH_PROMISE, 6.8 GOAWAY ---

    def test_push_promise_and_goaway(self):
        self.assert_connection_error(open_stream(1) + frame(5, EH, 1, u32(2) + h2.request_block()), PROTOCOL_ERROR,
                                     "PUSH_PROMISE from a client (8.4)")
        self.assert_connection_error(frame(h2.GOAWAY, 0, 1, u32(0) + u32(0)), PROTOCOL_ERROR,
                                     "GOAWAY on a stream (6.8)")

    # --- 6.3 PRIORITY ---

    def test_priority(self):
        self.assert_stream_error(frame(PRIORITY, 0, 1, b"\x00\x00\x00"), 1, FRAME_SIZE_ERROR,
                                 "PRIORITY of 3 octets (6.3)")
        self.assert_connection_error(frame(PRIORITY, 0, 0, u32(1) + b"\x10"), PROTOCOL_ERROR, "PRIORITY on stream 0 (6.3)")

    # --- 6.4 RST_STREAM ---

    def test_rst_stream(self):
        self.assert_connection_error(frame(RST, 0, 0, u32(0x8)), PROTOCOL_ERROR, "RST_STREAM on stream 0 (6.4)")
        self.assert_connection_error(open_stream(1) + frame(RST, 0, 1, b"\x00\x00\x08"), FRAME_SIZE_ERROR,
                                     "RST_STREAM of 3 octets (6.4)")

    # --- 6.5 SETTINGS ---

    def test_settings(self):
        self.assert_connection_error(frame(SETTINGS, 0, 0, b"\x00\x03\x00\x00\x00"), FRAME_SIZE_ERROR,
                                     "SETTINGS not a multiple of 6 octets (6.5)")
        self.assert_connection_error(frame(SETTINGS, ACK, 0, b"\x00\x03\x00\x00\x00\x64"), FRAME_SIZE_ERROR,
                                     "SETTINGS ACK with a payload (6.5)")
        self.assert_connection_error(frame(SETTINGS, 0, 1, b""), PROTOCOL_ERROR, "SETTINGS on a stream (6.5)")
        self.assert_connection_error(frame(SETTINGS, 0, 0, b"\x00\x02" + u32(2)), PROTOCOL_ERROR,
                                     "ENABLE_PUSH of 2 (6.5.2)")
        self.assert_connection_error(frame(SETTINGS, 0, 0, b"\x00\x04" + u32(1 << 31)), FLOW_CONTROL_ERROR,
                                     "INITIAL_WINDOW_SIZE over 2^31-1 (6.5.2)")
        self.assert_connection_error(frame(SETTINGS, 0, 0, b"\x00\x05" + u32(1000)), PROTOCOL_ERROR,
                                     "MAX_FRAME_SIZE under 16384 (6.5.2)")
        self.assert_still_serving(frame(SETTINGS, 0, 0, b"\x00\x99" + u32(7)), "an unknown setting is ignored (6.5.2)")

    # --- 6.7 PING ---

    def test_ping(self):
        self.assert_connection_error(frame(PING, 0, 0, b"1234567"), FRAME_SIZE_ERROR, "PING of 7 octets (6.7)")
        self.assert_connection_error(frame(PING, 0, 1, b"12345678"), PROTOCOL_ERROR, "PING on a stream (6.7)")

    # --- 6.9 WINDOW_UPDATE ---

    def test_window_update(self):
        self.assert_connection_error(frame(WINDOW_UPDATE, 0, 0, u32(0)), PROTOCOL_ERROR,
                                     "connection WINDOW_UPDATE of 0 (6.9)")
        self.assert_stream_error(open_stream(1) + frame(WINDOW_UPDATE, 0, 1, u32(0)), 1, PROTOCOL_ERROR,
                                 "stream WINDOW_UPDATE of 0 (6.9)")
        self.assert_connection_error(frame(WINDOW_UPDATE, 0, 0, b"\x00\x00\x01"), FRAME_SIZE_ERROR,
                                     "WINDOW_UPDATE of 3 octets (6.9)")
        self.assert_connection_error(frame(WINDOW_UPDATE, 0, 0, u32(0x7FFFFFFF)), FLOW_CONTROL_ERROR,
                                     "connection window over 2^31-1 (6.9.1)")
        self.assert_stream_error(open_stream(1) + frame(WINDOW_UPDATE, 0, 1, u32(0x7FFFFFFF)), 1,
                                 FLOW_CONTROL_ERROR, "stream window over 2^31-1 (6.9.1)")

    # --- 4.2 frame size, 5.5 extensions ---

    def test_frame_size_and_unknown_frames(self):
        self.assert_connection_error(open_stream(1) + frame(DATA, 0, 1, b"x" * 16385), FRAME_SIZE_ERROR,
                                     "a frame over SETTINGS_MAX_FRAME_SIZE (4.2)")
        self.assert_still_serving(frame(0x20, 0, 0, b"whatever"), "an unknown frame type is ignored (5.5)")


if __name__ == "__main__":
    harness.main()
