// What the HTTP/2 server remembers about the client's most recent stream ids, to enforce the
// stream-state rules of RFC 9113 5.1 / 5.1.1 that nghttp2 leaves out because it forgets a
// stream once it is closed (see session_on_request_headers_received in nghttp2):
//  - a HEADERS opening a stream whose id is below one the client already used (an id it
//    skipped, so never opened) is a connection error PROTOCOL_ERROR (5.1.1);
//  - after the client's RST_STREAM, DATA, HEADERS or WINDOW_UPDATE on the stream is a stream
//    error STREAM_CLOSED (5.1 "closed"). It is answered once: the answer is our RST_STREAM,
//    after which the stream counts as reset by us. RST_STREAM is never answered with one
//    (5.4.2), PRIORITY is allowed in any state, unknown frame types are ignored (5.5);
//  - after the client's END_STREAM, DATA or HEADERS is a connection error STREAM_CLOSED
//    (5.1 "closed"); WINDOW_UPDATE and RST_STREAM are ignored, as they may cross our END_STREAM;
//  - frames on a stream we reset (RST_STREAM queued or sent by us: a refused stream, a
//    malformed or oversized header block, a cancelled upstream) are ignored, whatever they
//    are, since the client may have sent them before it saw our RST_STREAM (5.1).
// A verdict only applies to a closed stream: while nghttp2 still holds the stream (open or
// half-closed), nghttp2's own checks judge the frame, so the caller asks nghttp2 first.
//
// WINDOW: the state of the kWindow (1024) most recent client stream ids, i.e. the odd ids from
// highest - 2 * 1023 up to the highest id the client opened, 4 bits each: 512 bytes per
// connection, inline, whatever the client does (a client may open 2^30 streams). Ids older
// than the window are not judged (kNone: nghttp2 ignores frames on them), so a rule is missed
// for a stream 1024 or more streams old, never applied wrongly. Ids skipped by the client
// count as never opened.
//
// COST: onFrame is O(1) and does not allocate; a HEADERS that jumps ahead clears the slots it
// skips, at most the 512 bytes of the window (two memsets).
// THREADS: the codec's owner thread.
#pragma once

#include <array>
#include <cstdint>

namespace strait::http {

class H2StreamWindow {
 public:
  static constexpr uint32_t kWindow = 1024;  // client stream ids remembered (a power of two)

  // What a frame on a closed stream violates, to be answered if nghttp2 no longer holds it.
  enum class Verdict : uint8_t {
    kNone,                      // allowed, or for nghttp2 to judge, or too old to know
    kStreamClosed,              // stream error STREAM_CLOSED: RST_STREAM, then onResetSent()
    kConnectionStreamClosed,    // connection error STREAM_CLOSED (GOAWAY)
    kConnectionProtocolError,   // connection error PROTOCOL_ERROR (GOAWAY)
  };

  // The header of a frame from the client (type, flags, stream id as on the wire): updates
  // the state of its stream and returns what the frame violates if the stream is closed.
  Verdict onFrame(uint8_t type, uint8_t flags, int32_t stream_id);
  // We queued or sent RST_STREAM on the stream: what the client sends on it is ignored.
  void onResetSent(int32_t stream_id);
  // The highest stream id the client opened (0: none yet).
  int32_t highestId() const { return highest_; }

 private:
  enum State : uint8_t {
    kUnused = 0,  // never opened (skipped, or not reached yet)
    kOpen,        // opened by HEADERS; neither END_STREAM nor RST_STREAM seen
    kEnded,       // the client sent END_STREAM
    kPeerReset,   // the client sent RST_STREAM (before any END_STREAM)
    kWeReset,     // we queued or sent RST_STREAM: final, everything is ignored
  };
  // The slot of `stream_id` if the window covers it (an id at most highest_), else -1.
  int32_t slotOf(int32_t stream_id) const;
  void open(int32_t stream_id, State state);
  State get(uint32_t slot) const { return static_cast<State>((states_[slot / 2] >> ((slot & 1) * 4)) & 0xF); }
  void set(uint32_t slot, State state);
  // Sets slots [from, to) of the ring to kUnused (from <= to <= kWindow).
  void clear(uint32_t from, uint32_t to);

  std::array<uint8_t, kWindow / 2> states_{};  // two 4-bit State per byte, slot = (id / 2) % kWindow
  int32_t highest_ = 0;                         // the highest client stream id opened, 0 before the first
};

}  // namespace strait::http
