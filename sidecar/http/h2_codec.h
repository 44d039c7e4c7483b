// HTTP/2 server codec on nghttp2: bytes in through execute(), events out through
// CodecCallbacks (codec.h), frames out through takeOutput(). No I/O, like the HTTP/1.1 codec, so the
// connection manager above it is the same for both protocols and the codec can be fuzzed.
//
// Requests are translated to the HTTP/1.1-shaped RequestHead the router understands:
// :method/:path become method/target, :authority becomes a "host" field, cookies split
// across fields are joined with "; " (RFC 9113 8.2.3); connection-specific fields are refused
// by nghttp2 (a stream error, as RFC 9113 8.2.2 requires).
//
// FLOW CONTROL: automatic WINDOW_UPDATEs are off. Received DATA counts against the stream
// and connection windows until the consumer calls consume(), which it does once the bytes
// have left for the upstream: a slow upstream therefore slows the client instead of
// filling memory. Response DATA is queued per stream and sent as the peer's windows allow.
//
// HARDENING: limits on concurrent streams and header list size (a request head over
// max_header_list_size is answered 431 without reaching the callbacks; trailers over it
// reset the stream); rapid reset (a client that
// cancels at least half of 100+ streams), CONTINUATION floods (H2Session), more than
// max_refused_header_blocks refused request heads (431 or malformed), and more than
// max_control_frames frames that do no work in a window of kControlFrameWindowMs (PING,
// SETTINGS, PRIORITY, RST_STREAM, empty non-final DATA, WINDOW_UPDATE beyond two per DATA
// frame sent; ACKs excluded) end the connection with GOAWAY ENHANCE_YOUR_CALM, whatever the
// transport (nghttp2's outbound-ACK and settings limits stay as a backstop); protocol errors
// get the code nghttp2 applies per RFC 9113. Time comes from setNowMs() (no clock read here).
//
// STREAM STATES: nghttp2 forgets a stream once it is closed, so it ignores what RFC 9113 5.1 /
// 5.1.1 say MUST be an error on closed streams. execute() reads the frame header of every
// inbound frame itself (nghttp2 reports no callback for DATA it ignores) and H2StreamWindow
// (h2_stream_window.h) judges it against the state of the 1024 most recent client stream
// ids: a new stream id below one already used is a connection error PROTOCOL_ERROR; a frame
// after the client's RST_STREAM is answered RST_STREAM STREAM_CLOSED (once per stream; each
// answer counts against max_control_frames); DATA or HEADERS after the client's END_STREAM is
// a connection error STREAM_CLOSED; frames on a stream we reset are ignored. Input is handed
// to nghttp2 up to the judged frame first, so a stream nghttp2 still holds is left to it.
//
// THREADS: one owner thread.
#pragma once

#include <cstdint>
#include <string_view>

#include "sidecar/http/codec.h"
#include "sidecar/http/h2_session.h"
#include "sidecar/http/h2_stream_window.h"

namespace strait::http {

class H2ServerCodec final : public H2Session {
 public:
  H2ServerCodec(CodecCallbacks* callbacks, H2Settings settings = {});

  // Feeds received bytes (the client preface first). Returns false on a connection error:
  // a GOAWAY is queued in the output; flush it and close.
  bool execute(const char* data, size_t len);
  // The time the next execute() runs at (the worker's loop time), for the frame budget.
  void setNowMs(int64_t now_ms) { now_ms_ = now_ms; }
  static constexpr int64_t kControlFrameWindowMs = 10000;
  // Response head (":status" from head.status). With end_stream the response has no body.
  void submitResponse(int32_t stream_id, const ResponseHead& head, bool end_stream);
  // An interim (1xx) response head, e.g. 100 Continue; the final head follows later.
  void submitInterim(int32_t stream_id, const ResponseHead& head);

  int onBeginHeaders(int32_t stream_id, bool response) override;
  int onHeader(int32_t stream_id, std::string_view name, std::string_view value, bool trailer) override;
  int onFrameRecv(int32_t stream_id, uint8_t type, uint8_t flags, uint32_t error_code, bool is_trailer) override;

 private:
  void deliverData(int32_t stream_id, const char* data, size_t len) override {
    callbacks_->onBody(stream_id, data, len);
  }
  void streamClosed(int32_t stream_id, uint32_t error_code) override {
    callbacks_->onStreamClose(stream_id, error_code);
  }
  void streamDrained(int32_t stream_id) override { callbacks_->onStreamDrained(stream_id); }
  void deliverHead(int32_t stream_id, Stream& s, bool end_stream);
  void rejectHeadTooLarge(int32_t stream_id);
  bool prematureResetFlood();
  int onFrameHeader(int32_t stream_id, uint8_t type, uint8_t flags, size_t length) override;
  void onRefusedFrame(int32_t stream_id, uint8_t type) override;
  void onDataFrameSent() override;
  void onLocalReset(int32_t stream_id) override { stream_window_.onResetSent(stream_id); }
  // One more frame that does no work; true once past the budget of the window.
  bool chargeControlFrame();
  // Reads the input up to the end of the next complete frame header: true with the header in
  // inbound_.header, and *frame_start the offset of the frame in `data` (0 if the header
  // began in an earlier call); false once `data` is used up.
  bool nextFrameHeader(const char* data, size_t len, size_t* pos, size_t* frame_start);
  // Answers a frame that H2StreamWindow judged and nghttp2 no longer holds the stream of;
  // false once the connection is in error.
  bool answerClosedStream(int32_t stream_id, H2StreamWindow::Verdict verdict);
  // One more refused request head; true once past the limit (the connection must end).
  bool refusedHeaderBlock();

  CodecCallbacks* callbacks_;
  static constexpr uint64_t kResetFloodMinimum = 100;
  uint64_t streams_opened_ = 0;
  uint64_t resets_received_ = 0;
  // The frame budget: frames that did no work in the current window, the window's start.
  int64_t now_ms_ = 0;
  int64_t window_start_ms_ = 0;
  uint64_t control_frames_ = 0;
  uint64_t window_update_credit_ = 0;  // two per DATA frame sent in the window
  uint32_t refused_header_blocks_ = 0;
  // Frame boundaries of the input, read beside nghttp2 (which parses the same bytes).
  struct InboundFraming {
    size_t preface_left = 24;  // client connection preface bytes still to skip
    size_t payload_left = 0;   // payload bytes of the current frame still to skip
    size_t header_have = 0;    // bytes of the next frame header in `header`
    uint8_t header[9] = {};
  } inbound_;
  H2StreamWindow stream_window_;  // recent client stream ids' states (5.1 / 5.1.1 rules)
};

}  // namespace strait::http
