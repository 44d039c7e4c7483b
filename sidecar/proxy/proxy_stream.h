// One request/response exchange forwarded to an upstream (the router), over HTTP/1.1 or
// HTTP/2 depending on the cluster.
//
// LIFE: the downstream session creates it once a request head has been routed, feeds it the
// request body as it arrives, and receives the response through StreamSink. The stream
// makes one or more ATTEMPTS: each picks an endpoint (load balancer of the pinned
// generation, avoiding endpoints that already failed this request), takes a pooled
// connection or HTTP/2 stream, sends the request (replaying the kept body on a retry),
// parses the response and streams it back. A failed attempt is retried per the route's
// RetryPolicy while nothing has gone downstream yet; otherwise errors before any response
// byte become local replies: 503 no endpoint / limits / connect timeout, 502 connect
// failure or upstream reset, 504 timeout. After the response started, an upstream failure
// resets the downstream.
// TIMERS: `stream_timer_` enforces the route timeout, the route idle timeout and the
// maximum stream duration; `attempt_timer_` the connect timeout, the per-try timeout and
// the retry backoff (never two at once).
// BACKPRESSURE: upstream write buffer above its high watermark pauses downstream reads
// (sink.readDisableDownstream); downstream above its high watermark pauses upstream reads
// (onDownstreamWatermark).
// THREADS: the worker's thread. OWNERSHIP: owned by the session; the session deletes it
// (deferred) after complete() turns true or after resetting it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "sidecar/event/dispatcher.h"
#include "sidecar/http/h1_codec.h"
#include "sidecar/net/connection.h"
#include "sidecar/proxy/conn_pool.h"
#include "sidecar/proxy/filter_chain.h"
#include "sidecar/proxy/h2_upstream.h"
#include "sidecar/proxy/mirror_request.h"
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
                          public FilterChain::Owner,
                          public event::DeferredDeletable {
 public:
  ProxyStream(WorkerContext& ctx, StreamSink& sink, SnapshotPtr snapshot, const CompiledRoute& route);
  ~ProxyStream() override;

  // Starts the exchange. May call back into the sink synchronously (local reply).
  void start(http::RequestHead&& head, http::BodyFraming framing, uint64_t content_length,
             const RequestInfo& info);
  void onRequestBody(const char* data, size_t len);
  // Request trailers (before onRequestComplete); forwarded when the upstream framing can
  // carry them (HTTP/2, or chunked HTTP/1.1).
  void onRequestTrailers(http::HeaderMap&& trailers);
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

  // FilterChain::Owner (routes with HTTP filters).
  event::Dispatcher& filterDispatcher() override { return ctx_.dispatcher(); }
  StreamSink& filterSink() override { return sink_; }
  void onFiltersPassed() override;
  void onFilterResponse() override;
  void filterReadDisable(bool disable) override { pauseDownstream(disable); }
  void onFilterChainComplete() override { response_complete_ = true; }
  void filterResetStream() override;
  bool filterBackgroundRequest(const http::RequestHead& head,
                               std::unique_ptr<filters::BackgroundResponseHandler> handler) override;

 private:
  void startRouter(http::RequestHead&& head, const RequestInfo& info);
  // Redirect and direct-response routes: the answer, with no upstream.
  void sendRouteResponse(const http::RequestHead& head, const RequestInfo& info);
  void startMirrors(const http::RequestHead& upstream_head);
  void feedMirrors(const char* data, size_t len);
  HeaderVars headerVars() const;
  // Per attempt: the request head for the chosen endpoint (auto_host_rewrite, %UPSTREAM_HOST%).
  void prepareAttemptHead();
  void emitBody(const char* data, size_t len);
  void emitComplete(const http::HeaderMap* trailers);
  void localReplyThroughFilters(int status, std::string_view details);
  // Why an attempt failed (before any response byte went downstream).
  enum class Failure { kConnect, kConnectTimeout, kReset, kPerTryTimeout, kStatus };

  void startAttempt();
  bool startH1Attempt();
  bool startH2Attempt();
  void sendKeptRequest();  // the head, kept body and (if complete) the end, on a new attempt
  void endAttempt();       // releases the attempt's connection/stream and counters
  // A failed attempt: retries it (true) or leaves the failure to the caller (false).
  bool retryAttempt(Failure failure, int status);
  bool retryAllowed(Failure failure, int status);
  bool canReplay() const { return body_bytes_ == 0 || (keep_body_ && body_kept_); }
  void attemptFailed(Failure failure, int status, std::string_view details);
  void overflow(ClusterState::Limit limit);
  void armStreamTimer();
  void onStreamTimer();
  void armPerTryTimeout();
  void onAttemptTimer();
  void releaseAttemptCounters();
  void scheduleAttempt(int64_t delay_ms);
  static int64_t grpcTimeoutMs(const std::string& value);
  void forwardResponseHead(http::ResponseHead&& head, http::BodyFraming framing, uint64_t length);
  void sendGrpcError(int http_status, std::string_view details);
  void buildUpstreamHead(http::RequestHead& head, const RequestInfo& info);
  void fail(int status, std::string_view details);
  void finishUpstream(bool reusable);
  void writeBodyH1(const char* data, size_t len);
  void writeEndH1();
  bool retryStaleConnection();
  void touch() { last_activity_ms_ = ctx_.dispatcher().nowMs(); }
  void pauseDownstream(bool pause);

  WorkerContext& ctx_;
  StreamSink& sink_;
  SnapshotPtr snapshot_;            // the pinned generation
  const CompiledRoute& route_;      // owned by snapshot_
  std::shared_ptr<const ClusterInfo> cluster_;
  http::RequestHead request_head_;  // upstream form, kept for every attempt
  // The head before endpoint-dependent changes, when the route has some (copied per attempt).
  std::unique_ptr<http::RequestHead> base_head_;
  std::string client_ip_;           // for header variables
  std::string peer_identity_;
  std::string request_id_;
  std::string upstream_host_;       // the attempt's endpoint "ip:port", when a header needs it
  std::vector<std::unique_ptr<MirrorRequest>> mirrors_;  // until the request is complete
  http::HeaderMap request_trailers_;
  std::optional<uint64_t> lb_hash_;  // the request's key for hash load balancing
  // HTTP filters (routes that have some): the chain, and the request it holds meanwhile.
  std::unique_ptr<FilterChain> chain_;
  struct HeldRequest {
    http::RequestHead head;
    RequestInfo info;
    std::string body;
    bool complete = false;
  };
  std::unique_ptr<HeldRequest> held_;
  std::string kept_body_;           // request body kept for a retry (route has a retry policy)
  uint64_t body_bytes_ = 0;         // request body bytes received so far
  http::BodyFraming request_framing_ = http::BodyFraming::kNone;
  // The current attempt.
  const EndpointInfo* endpoint_ = nullptr;
  const EndpointInfo* failed_endpoint_ = nullptr;  // the previous attempt's, avoided by the next
  ConnPool* pool_ = nullptr;
  std::unique_ptr<net::Connection> upstream_;
  std::optional<http::H1Parser> parser_;
  H2UpstreamStream h2_stream_;
  size_t h2_unconsumed_ = 0;        // response bytes not yet acknowledged (downstream full)
  bool h2_body_sent_ = false;       // this attempt sent body bytes
  http::HeaderMap trailers_;        // response trailers
  event::Timer stream_timer_;
  event::Timer attempt_timer_;
  int64_t timeout_ms_ = 15000;      // the route's, or a shorter grpc-timeout
  int64_t start_ms_ = 0;
  int64_t response_deadline_ms_ = 0;  // 0 until the request is complete (or gRPC: from start)
  int64_t last_activity_ms_ = 0;
  uint32_t attempts_ = 0;
  uint32_t free_retries_ = 0;       // attempts that were transparent retries
  bool deadline_from_start_ = false; // grpc-timeout given: counts from the start, not the end
  bool is_grpc_ = false;
  bool keep_body_ = false;          // retries possible: keep the body up to the replay limit
  bool body_kept_ = true;           // kept_body_ holds the whole body received so far
  bool in_backoff_ = false;
  bool reused_ = false;             // upstream_ came from the idle pool
  bool free_retry_used_ = false;    // the one transparent retry (stale connection, refused stream)
  bool next_fresh_ = false;         // the next attempt must not reuse an idle connection
  bool counted_active_ = false;     // in cluster active_requests
  bool counted_host_ = false;       // in endpoint active_requests
  bool counted_pending_ = false;    // in cluster pending_requests (connection being made)
  bool counted_retry_ = false;      // in cluster active_retries
  bool request_complete_ = false;
  bool response_started_ = false;
  bool response_complete_ = false;
  bool upstream_keep_alive_ = true;
  bool downstream_paused_ = false;  // we paused the downstream (write buffer or backoff)
  bool upstream_paused_ = false;    // we paused the upstream for the downstream's buffer
  bool done_ = false;               // a local reply, reset or completion happened
};

}  // namespace strait::proxy
