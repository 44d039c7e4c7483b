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

// Ends the downstream connection once everything queued is sent (a lingering close: see
// DownstreamSession::closeGracefully).
class ConnectionCloser {
 public:
  virtual void closeGracefully() = 0;

 protected:
  ~ConnectionCloser() = default;
};

class H2Downstream final : public http::CodecCallbacks {
 public:
  H2Downstream(WorkerContext& ctx, net::Connection& conn, ConnectionCloser& closer,
               std::string listener_name, std::string peer_ip);
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
  ConnectionCloser& closer_;
  size_t connection_buffer_bytes_ = 4 << 20;  // the listener's http2_max_connection_buffer_bytes
  bool connection_above_ = false;  // all streams' queued + socket buffer past the bound
  bool socket_above_ = false;      // the connection's write buffer is above its high watermark
  std::string listener_name_;
  std::string peer_ip_;
  http::H2ServerCodec codec_;
  absl::flat_hash_map<int32_t, std::unique_ptr<Stream>> streams_;
  bool flush_scheduled_ = false;
  bool closed_ = false;
  bool error_counted_ = false;
  bool draining_ = false;  // GOAWAY sent: close once the last stream is done
};

}  // namespace strait::proxy
