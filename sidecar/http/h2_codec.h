// HTTP/2 server codec on nghttp2: bytes in through execute(), events out through
// H2ServerCallbacks, frames out through takeOutput(). No I/O, like the HTTP/1.1 codec, so the
// connection manager above it is the same for both protocols and the codec can be fuzzed.
//
// Requests are translated to the HTTP/1.1-shaped RequestHead the router understands:
// :method/:path become method/target, :authority becomes a "host" field, cookies split
// across fields are joined with "; " (RFC 9113 8.2.3), connection-specific fields are refused
// by nghttp2 (a stream error, as RFC 9113 8.2.2 requires).
//
// FLOW CONTROL: automatic WINDOW_UPDATEs are off. Received DATA counts against the stream
// and connection windows until the consumer calls consume(), which it does once the bytes
// have left for the upstream: a slow upstream therefore slows the client instead of
// filling memory. Response DATA is queued per stream and sent as the peer's windows allow.
//
// HARDENING: limits on concurrent streams, header list size, SETTINGS/PING floods (nghttp2's
// outbound-ACK and settings limits), rapid reset (stream reset rate limit) and CONTINUATION
// floods (header block size limit); violations end the connection with GOAWAY.
//
// THREADS: one owner thread. OWNERSHIP: the nghttp2_session is owned (RAII) by the codec.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "sidecar/http/h1_codec.h"
#include "sidecar/http/headers.h"

struct nghttp2_session;

namespace strait::http {

class H2ServerCallbacks {
 public:
  virtual ~H2ServerCallbacks() = default;
  // A request head. `end_stream` is true if the request has no body.
  virtual void onH2RequestHead(int32_t stream_id, RequestHead&& head, bool end_stream) = 0;
  // Body bytes (the codec does not hold them: consume() them once forwarded).
  virtual void onH2Data(int32_t stream_id, const char* data, size_t len) = 0;
  virtual void onH2Trailers(int32_t stream_id, HeaderMap&& trailers) = 0;
  // The request is complete (END_STREAM from the client).
  virtual void onH2EndStream(int32_t stream_id) = 0;
  // The stream is gone (completed both ways, reset by either side, or the connection ended).
  virtual void onH2StreamClose(int32_t stream_id, uint32_t error_code) = 0;
  // Queued response bytes of the stream dropped below `low` after being above `high`
  // (see setResponseBufferLimits); used to resume reading the upstream.
  virtual void onH2StreamDrained(int32_t stream_id) { (void)stream_id; }
};

struct H2Settings {
  uint32_t max_concurrent_streams = 100;
  uint32_t initial_window_size = 256 * 1024;     // per stream
  uint32_t max_header_list_size = 64 * 1024;
  uint32_t max_frame_size = 16384;
  size_t response_buffer_high = 1 << 20;         // per stream, bytes queued for the client
  size_t response_buffer_low = 256 << 10;
};

class H2ServerCodec {
 public:
  H2ServerCodec(H2ServerCallbacks* callbacks, H2Settings settings = {});
  ~H2ServerCodec();
  H2ServerCodec(const H2ServerCodec&) = delete;
  H2ServerCodec& operator=(const H2ServerCodec&) = delete;

  // Feeds received bytes (the client preface first). Returns false on a connection error:
  // a GOAWAY is queued in the output; flush it and close.
  bool execute(const char* data, size_t len);
  // Appends every frame ready to go out to `out`.
  void takeOutput(std::string* out);
  // True while nghttp2 wants to read or write (false: the connection is done).
  bool alive() const;

  // Response side. Heads get ":status" from head.status; connection-specific fields are
  // removed. With end_stream the stream needs no body.
  void submitResponse(int32_t stream_id, const ResponseHead& head, bool end_stream);
  void sendData(int32_t stream_id, const char* data, size_t len);
  // Ends the response, with trailers if given.
  void endStream(int32_t stream_id, const HeaderMap* trailers);
  void resetStream(int32_t stream_id, uint32_t error_code);
  // Acknowledges `len` received body bytes of the stream: their window is reopened.
  void consume(int32_t stream_id, size_t len);
  // Bytes queued for the client on the stream (for backpressure decisions).
  size_t queuedBytes(int32_t stream_id) const;
  // Sends GOAWAY (graceful: in-flight streams complete).
  void goAway();
  // Why execute() failed: "flood" (rapid reset, CONTINUATION, PING/SETTINGS floods) or
  // nghttp2's description of the protocol error.
  const std::string& error() const { return error_; }
  // The connection ended in error (input refused, or an error GOAWAY was sent).
  bool failed() const { return failed_; }

  // nghttp2 callbacks forward here (public only for the C trampolines).
  struct Stream;
  int onBeginFrame(int32_t stream_id, uint8_t type, size_t length);
  void onGoAwaySent(uint32_t error_code);
  int onBeginHeaders(int32_t stream_id);
  int onHeader(int32_t stream_id, std::string_view name, std::string_view value, bool trailer);
  int onFrameRecv(int32_t stream_id, uint8_t type, uint8_t flags, bool is_trailer);
  int onDataChunk(int32_t stream_id, const uint8_t* data, size_t len);
  int onStreamClose(int32_t stream_id, uint32_t error_code);
  ssize_t readData(int32_t stream_id, uint8_t* buf, size_t length, uint32_t* data_flags);

 private:
  struct SessionDeleter { void operator()(nghttp2_session* s) const; };
  void submitData(int32_t stream_id);
  bool prematureResetFlood();

  H2ServerCallbacks* callbacks_;
  H2Settings settings_;
  std::unique_ptr<nghttp2_session, SessionDeleter> session_;
  absl::flat_hash_map<int32_t, std::unique_ptr<Stream>> streams_;
  static constexpr size_t kMaxHeaderBlockFrames = 32;
  size_t header_block_frames_ = 0;
  size_t header_block_bytes_ = 0;
  bool flood_detected_ = false;
  static constexpr uint64_t kResetFloodMinimum = 100;
  uint64_t streams_opened_ = 0;
  uint64_t resets_received_ = 0;
  uint32_t goaway_error_ = 0;  // error code of a GOAWAY we sent (0: none)
  bool failed_ = false;
  std::string error_;
};

}  // namespace strait::http
