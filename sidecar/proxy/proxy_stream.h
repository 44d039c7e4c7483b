// One request/response exchange forwarded to an upstream over HTTP/1.1 (the router).
//
// LIFE: the downstream session creates it once a request head has been routed, feeds it the
// request body as it arrives, and receives the response through StreamSink. The stream
// picks the endpoint (load balancer of the pinned generation), takes a pooled connection,
// streams the request, parses the response and streams it back. Errors before any response
// byte become local replies: 503 no endpoint / limits, 502 connect failure or upstream
// reset, 504 timeout. After the response started, an upstream failure resets the downstream.
// BACKPRESSURE: upstream write buffer above its high watermark pauses downstream reads
// (sink.readDisableDownstream); downstream above its high watermark pauses upstream reads
// (onDownstreamWatermark).
// THREADS: the worker's thread. OWNERSHIP: owned by the session; the session deletes it
// (deferred) after complete() turns true or after resetting it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "sidecar/event/dispatcher.h"
#include "sidecar/http/h1_codec.h"
#include "sidecar/net/connection.h"
#include "sidecar/proxy/conn_pool.h"
#include "sidecar/proxy/h2_upstream.h"
#include "sidecar/proxy/route_table.h"
#include "sidecar/proxy/snapshot.h"
#include "sidecar/proxy/worker_context.h"

namespace strait::proxy {

// The downstream side, as seen by the stream.
class StreamSink {
 public:
  virtual ~StreamSink() = default;
  virtual void sendHeaders(http::ResponseHead&& head, http::BodyFraming framing, uint64_t length) = 0;
  virtual void sendInterim(const http::ResponseHead& head) = 0;  // 1xx
  virtual void sendBody(const char* data, size_t len) = 0;
  virtual void sendComplete(const http::HeaderMap* trailers) = 0;
  // Only before sendHeaders: a generated response ("details" goes to the log and a header).
  virtual void sendLocalReply(int status, std::string_view details) = 0;
  // After sendHeaders: the response cannot be completed; abort the downstream connection.
  virtual void resetDownstream() = 0;
  virtual void readDisableDownstream(bool disable) = 0;
};

struct RequestInfo {
  std::string client_ip;         // for x-forwarded-for
  std::string forwarded_proto;   // for x-forwarded-proto
};

class ProxyStream final : public net::ConnectionCallbacks,
                          public http::H1Callbacks,
                          public H2UpstreamCallbacks,
                          public event::DeferredDeletable {
 public:
  ProxyStream(WorkerContext& ctx, StreamSink& sink, SnapshotPtr snapshot, const CompiledRoute& route);
  ~ProxyStream() override;

  // Starts the exchange. May call back into the sink synchronously (local reply).
  void start(http::RequestHead&& head, http::BodyFraming framing, uint64_t content_length,
             const RequestInfo& info);
  void onRequestBody(const char* data, size_t len);
  void onRequestComplete();
  // Downstream write buffer crossed a watermark: pause/resume reading the upstream.
  void onDownstreamWatermark(bool above);
  // The downstream went away: drop the upstream connection.
  void reset();

  bool responseComplete() const { return response_complete_; }
  bool responseStarted() const { return response_started_; }

  // net::ConnectionCallbacks (upstream connection).
  void onRead(net::Buffer& in) override;
  void onEvent(net::ConnectionEvent event) override;
  void onAboveWriteHighWatermark() override;
  void onBelowWriteLowWatermark() override;

  // http::H1Callbacks (upstream response parser).
  void onResponseHead(http::ResponseHead&& head, http::BodyFraming framing, uint64_t length) override;
  void onBody(const char* data, size_t len) override;
  void onTrailers(http::HeaderMap&& trailers) override;
  void onMessageComplete() override;
  void onError(const http::ParseError& error) override;

  // H2UpstreamCallbacks (HTTP/2 clusters).
  void onUpstreamHead(http::ResponseHead&& head, bool end_stream) override;
  void onUpstreamData(const char* data, size_t len) override;
  void onUpstreamTrailers(http::HeaderMap&& trailers) override;
  void onUpstreamEnd() override;
  void onUpstreamReset(bool retryable, std::string_view reason) override;
  void onUpstreamRequestDrained() override;

 private:
  bool startH2();
  void armResponseTimeout();
  static int64_t grpcTimeoutMs(const std::string& value);
  void forwardResponseHead(http::ResponseHead&& head, http::BodyFraming framing, uint64_t length);
  void sendGrpcError(int http_status, std::string_view details);
  void buildUpstreamHead(http::RequestHead& head, const RequestInfo& info);
  void fail(int status, std::string_view details);
  void onTimeout();
  void finishUpstream(bool reusable);
  bool connectAndSend(bool fresh);
  bool retryStaleConnection();

  WorkerContext& ctx_;
  StreamSink& sink_;
  SnapshotPtr snapshot_;            // the pinned generation
  const CompiledRoute& route_;      // owned by snapshot_
  std::shared_ptr<const ClusterInfo> cluster_;
  const EndpointInfo* endpoint_ = nullptr;
  ConnPool* pool_ = nullptr;
  std::unique_ptr<net::Connection> upstream_;
  http::H1Parser parser_;
  http::HeaderMap trailers_;
  event::Timer timeout_timer_;
  http::BodyFraming request_framing_ = http::BodyFraming::kNone;
  std::string upstream_head_;       // encoded request head (kept for a retry when bodyless)
  // HTTP/2 upstream.
  http::RequestHead h2_head_;       // kept until the first body byte, for a GOAWAY retry
  H2UpstreamStream h2_stream_;
  size_t h2_unconsumed_ = 0;        // response bytes not yet acknowledged (downstream full)
  bool h2_body_sent_ = false;
  bool is_grpc_ = false;
  int64_t timeout_ms_ = 15000;      // the route's, or a shorter grpc-timeout
  bool deadline_from_start_ = false; // grpc-timeout given: counts from the start, not the end
  bool reused_ = false;             // upstream_ came from the idle pool
  bool retried_ = false;
  bool counted_active_ = false;
  bool request_complete_ = false;
  bool response_started_ = false;
  bool response_complete_ = false;
  bool upstream_keep_alive_ = true;
  bool downstream_paused_ = false;  // we paused the downstream for our write buffer
  bool upstream_paused_ = false;    // we paused the upstream for the downstream's buffer
  bool done_ = false;               // a local reply, reset or completion happened
};

}  // namespace strait::proxy
