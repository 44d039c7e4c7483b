// The HTTP/2 side of a downstream connection (h2c with prior knowledge, or h2 chosen by
// ALPN): one H2ServerCodec, one RouterStream per request stream. Each stream pins the
// snapshot live when its headers arrived, exactly like an HTTP/1.1 request, and goes to the
// same router and upstream code.
// BACKPRESSURE per stream: request DATA is acknowledged to the client (WINDOW_UPDATE) only
// while the upstream connection is below its high watermark; response DATA queued for the
// client above its high watermark pauses that stream's upstream reads.
// THREADS: the worker's thread. OWNERSHIP: owned by the DownstreamSession whose connection
// it writes to.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "sidecar/http/h2_codec.h"
#include "sidecar/net/connection.h"
#include "sidecar/router/router_stream.h"
#include "sidecar/core/worker_context.h"

namespace strait::proxy {

// What H2Downstream asks of the session that owns the connection.
class SessionControl {
 public:
  // Ends the connection once everything queued is sent (a lingering close: see
  // DownstreamSession::closeGracefully).
  virtual void closeGracefully() = 0;
  // The connection's waiting response bytes reached their bound (connectionAbove()): the
  // session starts watching the client's progress (send_timeout).
  virtual void onOutputBackedUp() = 0;

 protected:
  ~SessionControl() = default;
};

class H2Downstream final : public http::CodecCallbacks {
 public:
  // `original_dst` (owned by the session; may be null): the connection's original destination.
  H2Downstream(WorkerContext& ctx, net::Connection& conn, SessionControl& control,
               std::string listener_name, std::string peer_ip, const net::Address* original_dst = nullptr);
  ~H2Downstream() override;

  // Bytes from the client. Returns false when the connection must close (after the flush
  // of a GOAWAY).
  bool onRead(net::Buffer& in);
  // The connection is gone: every stream is reset.
  void onClose();
  // The client connection's write buffer crossed a watermark.
  void onDownstreamWatermark(bool above);
  // Graceful shutdown (listener removed, sidecar draining): GOAWAY, in-flight streams
  // complete, then the connection closes.
  void drain();
  bool idle() const { return streams_.empty(); }

  // For the session's slow-client checks (send_timeout, request_body_min_rate).
  // Response bytes queued in the codec for the client's flow-control windows.
  size_t queuedBytes() const { return codec_.totalQueuedBytes(); }
  // The connection's waiting response bytes are past http2_max_connection_buffer_bytes.
  bool connectionAbove() const { return connection_above_; }
  // Some stream's request body of a declared length (content-length) is still to come.
  bool awaitingBody() const { return streams_awaiting_body_ > 0; }
  // Every stream still awaiting its body is held back by the sidecar (its upstream is not
  // taking the body, so the client gets no window): the client is not the slow one.
  bool bodiesHeldBack() const;
  // Request body bytes received on this connection so far.
  uint64_t requestBodyBytes() const { return request_body_bytes_; }
  // The client sends its bodies too slowly: streams awaiting a body get 408 (or a reset if
  // their response started), then GOAWAY, and the connection closes.
  void onSlowBody();

  // http::CodecCallbacks (the HTTP/2 server codec)
  void onRequestHead(http::StreamId id, http::RequestHead&& head, http::BodyFraming framing,
                     uint64_t length) override;
  void onBody(http::StreamId id, const char* data, size_t len) override;
  void onTrailers(http::StreamId id, http::HeaderMap&& trailers) override;
  void onMessageComplete(http::StreamId id) override;
  void onStreamClose(http::StreamId id, uint32_t error_code) override;
  void onStreamDrained(http::StreamId id) override;

 private:
  class Stream;
  void scheduleFlush();
  void flush();
  void checkConnectionBuffer();
  void localReply(int32_t id, int status, std::string_view details);

  WorkerContext& ctx_;
  net::Connection& conn_;
  SessionControl& control_;
  size_t connection_buffer_bytes_ = 4 << 20;  // the listener's http2_max_connection_buffer_bytes
  bool connection_above_ = false;  // all streams' queued + socket buffer past the bound
  bool socket_above_ = false;      // the connection's write buffer is above its high watermark
  std::string listener_name_;
  std::string peer_ip_;
  const net::Address* original_dst_;
  http::H2ServerCodec codec_;
  absl::flat_hash_map<int32_t, std::unique_ptr<Stream>> streams_;
  bool flush_scheduled_ = false;
  bool closed_ = false;
  bool error_counted_ = false;
  bool draining_ = false;  // GOAWAY sent: close once the last stream is done
  uint32_t streams_awaiting_body_ = 0;
  uint64_t request_body_bytes_ = 0;
};

}  // namespace strait::proxy
