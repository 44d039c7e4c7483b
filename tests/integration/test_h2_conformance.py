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
COMPRESSION_ERROR = 0x9
HEADERS, DATA, PRIORITY, RST, SETTINGS, PING, WINDOW_UPDATE, CONT = (
    h2.HEADERS, h2.DATA, h2.PRIORITY, h2.RST_STREAM, h2.SETTINGS, h2.PING, h2.WINDOW_UPDATE, h2.CONTINUATION)
EH, ES, ACK, PADDED = h2.END_HEADERS, h2.END_STREAM, h2.ACK, 0x8


def get(sid, path="/c"):
    return frame(HEADERS, EH | ES, sid, h2.request_block(path))


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
        # Stream 1 half-closed (remote) after END_STREAM: more DATA is STREAM_CLOSED (5.1).
        self.assert_stream_error(get(1) + frame(DATA, 0, 1, b"late"), 1, STREAM_CLOSED, "DATA after END_STREAM")

    def test_stream_ids_going_backwards(self):
        self.assertEqual(self.send(get(5) + get(3)).read_error(), ("goaway", PROTOCOL_ERROR),
                         "a new stream id lower than one already used (5.1.1)")
        self.assertEqual(self.send(get(1) + get(7) + open_stream(5)).read_error(), ("goaway", PROTOCOL_ERROR),
                         "a skipped stream id opened late (5.1.1)")

    def test_data_after_the_clients_rst_stream(self):
        data = open_stream(1) + frame(RST, 0, 1, u32(0x8)) + frame(DATA, 0, 1, b"late")
        self.assertEqual(self.send(data).read_error(), ("rst", 1, STREAM_CLOSED),
                         "a frame other than PRIORITY after RST_STREAM (5.1)")

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

    # --- 4.2 frame size, 5.5 extensions ---

    def test_frame_size_and_unknown_frames(self):
        self.assert_connection_error(open_stream(1) + frame(DATA, 0, 1, b"x" * 16385), FRAME_SIZE_ERROR,
                                     "a frame over SETTINGS_MAX_FRAME_SIZE (4.2)")
        self.assert_still_serving(frame(0x20, 0, 0, b"whatever"), "an unknown frame type is ignored (5.5)")


if __name__ == "__main__":
    harness.main()
