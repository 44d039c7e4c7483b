"""Just enough HTTP/2 framing to misbehave on purpose (the hardening tests): frames are built
by hand, header blocks use HPACK literals without Huffman coding. Socket timeouts and read
deadlines are scaled (harness.scaled): they bound a hang."""

import socket
import ssl
import struct

from harness import scaled

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = 0, 1, 2, 3, 4, 6, 7, 8, 9
END_STREAM, END_HEADERS, ACK = 0x1, 0x4, 0x1
CANCEL, ENHANCE_YOUR_CALM = 0x8, 0xB


def frame(ftype, flags, stream_id, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + struct.pack(">I", stream_id) + payload


def _int(value, prefix_bits, first=0):
    limit = (1 << prefix_bits) - 1
    if value < limit:
        return bytes([first | value])
    out = [first | limit]
    value -= limit
    while value >= 128:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def literal(name, value):
    """Literal header field without indexing, new name (RFC 7541 6.2.2)."""
    n, v = name.encode(), value.encode()
    return b"\x00" + _int(len(n), 7) + n + _int(len(v), 7) + v


def request_block(path="/", authority="localhost", extra=b""):
    # :method GET (static 2), :scheme http (6), :path via literal, :authority via literal
    return b"\x82\x86" + literal(":path", path) + literal(":authority", authority) + extra


class RawH2:
    """One HTTP/2 connection; over TLS (ALPN h2) when `tls` is an ssl.SSLContext."""

    def __init__(self, port, timeout=5.0, tls=None, server_name=None):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=scaled(timeout))
        if tls is not None:
            self.sock = tls.wrap_socket(self.sock, server_hostname=server_name)
            if self.sock.selected_alpn_protocol() != "h2":
                raise AssertionError("ALPN chose %r" % self.sock.selected_alpn_protocol())
        self.sock.sendall(PREFACE + frame(SETTINGS, 0, 0))

    def send(self, data):
        try:
            self.sock.sendall(data)
            return True
        except OSError:
            return False  # the server closed on us: that is what the tests wait for

    def frames(self, deadline_s=10.0):
        """Yields each frame the server sends, as (type, flags, stream id, payload), until it
        closes the connection (or resets it)."""
        self.sock.settimeout(scaled(deadline_s))
        buf = b""
        while True:
            while len(buf) >= 9:
                length = int.from_bytes(buf[0:3], "big")
                if len(buf) < 9 + length:
                    break
                sid = int.from_bytes(buf[5:9], "big") & 0x7FFFFFFF
                frame_ = (buf[3], buf[4], sid, buf[9:9 + length])
                buf = buf[9 + length:]
                yield frame_
            try:
                chunk = self.sock.recv(65536)
            except (ConnectionResetError, ssl.SSLError):
                chunk = b""
            if not chunk:
                return
            buf += chunk

    def read_until_goaway(self, deadline_s=10.0):
        """Reads frames until GOAWAY or EOF; returns the GOAWAY error code or None."""
        try:
            for ftype, _, _, payload in self.frames(deadline_s):
                if ftype == GOAWAY:
                    return int.from_bytes(payload[4:8], "big")
        except socket.timeout:
            pass
        return None

    def read_stream(self, stream_id, deadline_s=10.0):
        """Reads frames until END_STREAM on `stream_id`; returns (header block bytes, data
        bytes) of that stream (header blocks are returned raw, HPACK-encoded)."""
        headers, data = b"", b""
        for ftype, flags, sid, payload in self.frames(deadline_s):
            if sid != stream_id:
                continue
            if ftype == HEADERS:
                headers += payload
            elif ftype == DATA:
                data += payload
            if ftype in (HEADERS, DATA) and flags & END_STREAM:
                return headers, data
        raise ConnectionError("closed before END_STREAM")

    def read_body(self, stream_id, at_least=None, deadline_s=10.0):
        """Reads frames of `stream_id` until `at_least` data bytes arrived in all (None: until
        the stream ends). Returns (outcome, data bytes so far): outcome is "data" (at_least
        reached), "end" (END_STREAM), "rst" (RST_STREAM), "goaway" or "eof" (connection
        closed). Frames already read but not consumed are kept for the next call."""
        self.sock.settimeout(scaled(deadline_s))
        buf = getattr(self, "_pending", b"")
        data = getattr(self, "_data", {}).get(stream_id, b"")
        outcome = None
        while outcome is None:
            while outcome is None and len(buf) >= 9:
                length = int.from_bytes(buf[0:3], "big")
                if len(buf) < 9 + length:
                    break
                ftype, flags = buf[3], buf[4]
                sid = int.from_bytes(buf[5:9], "big") & 0x7FFFFFFF
                payload, buf = buf[9:9 + length], buf[9 + length:]
                if ftype == GOAWAY:
                    outcome = "goaway"
                elif sid != stream_id:
                    continue
                elif ftype == RST_STREAM:
                    outcome = "rst"
                elif ftype == DATA:
                    data += payload
                if ftype in (HEADERS, DATA) and flags & END_STREAM:
                    outcome = "end"
                elif outcome is None and at_least is not None and len(data) >= at_least:
                    outcome = "data"
            if outcome is None:
                try:
                    chunk = self.sock.recv(65536)
                except ConnectionResetError:
                    chunk = b""
                if not chunk:
                    outcome = "eof"
                buf += chunk
        self._pending = buf
        self._data = {stream_id: data}
        return outcome, data

    def read_frames(self, stream_id=None, deadline_s=10.0):
        """Reads frames until END_STREAM on `stream_id`, a GOAWAY or the end of the connection
        (with stream_id None: until the end of the connection only); returns every frame
        read, as (type, flags, stream id, payload) tuples."""
        frames = []
        for f in self.frames(deadline_s):
            frames.append(f)
            ftype, flags, sid, _ = f
            if stream_id is not None and (ftype == GOAWAY or (sid == stream_id and ftype in (HEADERS, DATA)
                                                              and flags & END_STREAM)):
                break
        return frames

    def read_frames_until_closed(self, deadline_s=10.0):
        """Every frame until the server closes the connection."""
        return self.read_frames(None, deadline_s)

    def read_error(self, deadline_s=10.0):
        """Reads frames until the server signals an error: returns ("goaway", code) for a
        connection error, ("rst", stream id, code) for a stream error, or ("eof",) when the
        connection closed without either."""
        for ftype, _, sid, payload in self.frames(deadline_s):
            if ftype == GOAWAY:
                return ("goaway", int.from_bytes(payload[4:8], "big"))
            if ftype == RST_STREAM:
                return ("rst", sid, int.from_bytes(payload[0:4], "big"))
        return ("eof",)

    def close(self):
        self.sock.close()
