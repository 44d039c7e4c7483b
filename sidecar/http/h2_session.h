// What the HTTP/2 server and client codecs share on top of nghttp2: the session (RAII),
// per-stream outbound body queues fed to nghttp2's data provider, manual flow control,
// output framing, GOAWAY/error tracking and the CONTINUATION limits. No I/O.
// THREADS: one owner thread.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "sidecar/http/h1_codec.h"
#include "sidecar/http/headers.h"

struct nghttp2_session;
struct nghttp2_session_callbacks;
struct nghttp2_option;

namespace strait::http {

struct H2Settings {
  uint32_t max_concurrent_streams = 100;
  uint32_t initial_window_size = 256 * 1024;     // per stream
  uint32_t max_header_list_size = 64 * 1024;
  size_t response_buffer_high = 1 << 20;         // per stream, bytes queued for the peer
  size_t response_buffer_low = 256 << 10;
  // Server only (see H2ServerCodec): frames that do no work per kControlFrameWindowMs, and
  // refused request header blocks per connection, before GOAWAY ENHANCE_YOUR_CALM.
  uint32_t max_control_frames = 1000;
  uint32_t max_refused_header_blocks = 10;
};

class H2Session {
 public:
  virtual ~H2Session();
  H2Session(const H2Session&) = delete;
  H2Session& operator=(const H2Session&) = delete;

  // Appends every frame ready to go out to `out`.
  void takeOutput(std::string* out);
  // Hands every frame ready to go out to `sink`, in pieces that are only valid during the
  // call (no intermediate copy: the connection copies them straight into its buffer).
  void drainOutput(absl::FunctionRef<void(const char* data, size_t len)> sink);
  // True while nghttp2 wants to read or write (false: the connection is done).
  bool alive() const;
  // Queues body bytes of a stream (sent as the peer's windows allow).
  void sendData(int32_t stream_id, const char* data, size_t len);
  // Ends the stream's body, with trailers if given.
  void endStream(int32_t stream_id, const HeaderMap* trailers);
  void resetStream(int32_t stream_id, uint32_t error_code);
  // Acknowledges `len` received body bytes of the stream: their window is reopened.
  void consume(int32_t stream_id, size_t len);
  size_t queuedBytes(int32_t stream_id) const;
  // Response bytes queued across every stream of the connection.
  size_t totalQueuedBytes() const { return total_queued_; }
  // Graceful GOAWAY: in-flight streams complete.
  void goAway();
  // The connection ended in error (input refused, or an error GOAWAY was sent).
  bool failed() const { return failed_; }
  // "flood" (rapid reset, CONTINUATION, PING/SETTINGS floods) or "protocol".
  const std::string& error() const { return error_; }

  // Trampolines from nghttp2's C callbacks (public only for them).
  struct Stream;
  int onBeginFrame(int32_t stream_id, uint8_t type, uint8_t flags, size_t length);
  void onInvalidFrame(int32_t stream_id, uint8_t type);
  void onGoAwaySent(uint32_t error_code);
  void onRstStreamSent(int32_t stream_id) { onLocalReset(stream_id); }
  int onDataChunk(int32_t stream_id, const uint8_t* data, size_t len);
  int onStreamClose(int32_t stream_id, uint32_t error_code);
  ssize_t readData(int32_t stream_id, uint8_t* buf, size_t length, uint32_t* data_flags);
  int sendDataFrame(int32_t stream_id, const uint8_t* framehd, size_t length, size_t padlen);
  virtual int onBeginHeaders(int32_t stream_id, bool response) = 0;
  virtual int onHeader(int32_t stream_id, std::string_view name, std::string_view value, bool trailer) = 0;
  virtual int onFrameRecv(int32_t stream_id, uint8_t type, uint8_t flags, uint32_t error_code,
                          bool is_trailer) = 0;

 protected:
  explicit H2Session(H2Settings settings) : settings_(settings) {}
  // Creates the nghttp2 session (server or client) with the shared callbacks and `opt`.
  void initSession(bool server, nghttp2_option* opt);
  // Runs mem_recv; false once the connection is in error (GOAWAY queued).
  bool receive(const char* data, size_t len);
  void sendSettings(bool server);
  Stream* find(int32_t stream_id) const;
  Stream& add(int32_t stream_id);
  // Hooks for the derived codec.
  // Every inbound frame's header, before its payload: kFrameOk, or kFrameFlood / kFrameInvalid
  // to refuse the input with GOAWAY ENHANCE_YOUR_CALM / PROTOCOL_ERROR.
  static constexpr int kFrameOk = 0, kFrameFlood = 1, kFrameInvalid = 2;
  virtual int onFrameHeader(int32_t stream_id, uint8_t type, uint8_t flags, size_t length) {
    (void)stream_id, (void)type, (void)flags, (void)length;
    return 0;
  }
  // A frame nghttp2 refused (its stream is reset, e.g. a malformed header block).
  virtual void onRefusedFrame(int32_t stream_id, uint8_t type) { (void)stream_id, (void)type; }
  // A DATA frame went out.
  virtual void onDataFrameSent() {}
  // We queued (resetStream) or sent (nghttp2's own stream errors included) RST_STREAM on the stream.
  virtual void onLocalReset(int32_t stream_id) { (void)stream_id; }
  // Ends the connection with an error GOAWAY of `error_code` (queued in the output); the rest
  // of the input is not read.
  void failConnection(uint32_t error_code);
  virtual void deliverData(int32_t stream_id, const char* data, size_t len) = 0;
  virtual void streamClosed(int32_t stream_id, uint32_t error_code) = 0;
  virtual void streamDrained(int32_t stream_id) = 0;

  struct SessionDeleter { void operator()(nghttp2_session* s) const; };
  H2Settings settings_;
  std::unique_ptr<nghttp2_session, SessionDeleter> session_;
  absl::flat_hash_map<int32_t, std::unique_ptr<Stream>> streams_;
  bool flood_detected_ = false;

 private:
  void resume(Stream& s, int32_t stream_id);

  size_t streams_above_high_ = 0;  // streams whose above_high is set
  size_t total_queued_ = 0;        // sum of the streams' queued()
  // The sink of the drainOutput call in progress (DATA payloads go to it from sendDataFrame).
  absl::FunctionRef<void(const char* data, size_t len)>* sink_ = nullptr;
  static constexpr size_t kMaxHeaderBlockFrames = 32;
  size_t header_block_frames_ = 0;
  size_t header_block_bytes_ = 0;
  uint32_t goaway_error_ = 0;
  bool failed_ = false;
  std::string error_;
};

// Per-stream state shared by both codecs.
struct H2Session::Stream {
  // Inbound head being decoded.
  std::string method, path, authority, status;
  std::vector<std::string> cookies;
  HeaderMap headers;
  HeaderMap trailers;
  size_t header_bytes = 0;        // decoded header list size (RFC 9113 6.5.2)
  bool head_too_large = false;    // server: request head over max_header_list_size (answered 431)
  bool final_head_seen = false;   // client side: a non-1xx response head arrived
  // Outbound body.
  std::string pending;
  size_t pending_offset = 0;
  bool end_after_pending = false;
  bool has_trailers = false;
  HeaderMap out_trailers;
  bool deferred = false;          // nghttp2 waits for data
  bool above_high = false;
  size_t queued() const { return pending.size() - pending_offset; }
};

}  // namespace strait::http
