// One request/response exchange routed to an upstream cluster: the router's stream. It runs
// the route's filters, picks the cluster and, per attempt, the endpoint; makes one
// UpstreamAttempt per try (the attempt hides the protocol: this class has no HTTP/1.1 or
// HTTP/2 branch); applies the route's rewrites, header edits, mirrors, timeouts and retry
// policy (RetryState); and streams the response back through the filters to the StreamSink.
//
// LIFE: the downstream session creates it once a request head has been routed, feeds it the
// request body as it arrives, and receives the response through StreamSink. A failed attempt
// is retried per the route's RetryPolicy while nothing has gone downstream yet; otherwise a
// failure before any response byte becomes a local reply (status and x-strait-local-reply
// from the typed failure in StreamInfo); after the response started it resets the
// downstream.
// TIMERS: `stream_timer_` enforces the route timeout, the route idle timeout and the maximum
// stream duration; `backoff_timer_` the wait before a retry. The attempt runs the connect and
// per-try timeouts.
// BACKPRESSURE: the upstream's request buffer above its high watermark pauses downstream
// reads (sink.readDisableDownstream); the downstream above its high watermark pauses the
// attempt's response (onDownstreamWatermark).
// THREADS: the worker's thread. OWNERSHIP: owned by the session; the session deletes it
// (deferred) after responseComplete() or after reset().
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sidecar/core/snapshot.h"
#include "sidecar/core/worker_context.h"
#include "sidecar/event/dispatcher.h"
#include "sidecar/http/message.h"
#include "sidecar/http/stream_info.h"
#include "sidecar/http/stream_sink.h"
#include "sidecar/router/filter_chain.h"
#include "sidecar/router/mirror_request.h"
#include "sidecar/router/retry_state.h"
#include "sidecar/router/route_table.h"
#include "sidecar/upstream/scoped_count.h"
#include "sidecar/upstream/upstream_attempt.h"

namespace strait::proxy {

using http::StreamSink;

// What the upstream request says about the client (besides StreamInfo).
struct RequestInfo {
  std::string forwarded_proto;  // for x-forwarded-proto
  // The connection's original destination (interception listeners), for ORIGINAL_DST
  // clusters; null if none. Owned by the session, which outlives the stream's routing.
  const net::Address* original_dst = nullptr;
};

class RouterStream final : public UpstreamAttempt::Callbacks,
                           public FilterChain::Owner,
                           public event::DeferredDeletable {
 public:
  // The session then fills in what it knows (client address, peer identity, protocol, start)
  // through mutableStreamInfo(), before start(): the info is built in place, not moved.
  RouterStream(WorkerContext& ctx, StreamSink& sink, SnapshotPtr snapshot, const CompiledRoute& route);
  ~RouterStream() override;

  // Starts the exchange. May call back into the sink synchronously (local reply).
  void start(http::RequestHead&& head, http::BodyFraming framing, uint64_t content_length,
             const RequestInfo& info);
  void onRequestBody(const char* data, size_t len);
  // Request trailers (before onRequestComplete); forwarded when the upstream framing can
  // carry them (HTTP/2, or chunked HTTP/1.1).
  void onRequestTrailers(http::HeaderMap&& trailers);
  void onRequestComplete();
  // Downstream write buffer crossed a watermark: pause/resume the upstream response.
  void onDownstreamWatermark(bool above);
  // The downstream went away: drop the upstream exchange.
  void reset();

  bool responseComplete() const { return response_complete_; }
  bool responseStarted() const { return response_started_; }
  const http::StreamInfo& streamInfo() const { return info_; }
  // The listener whose access logs get this request's line when the stream ends (a view
  // into the pinned snapshot; null: none).
  void setListener(const ListenerInfo* listener) { listener_ = listener; }
  http::StreamInfo& mutableStreamInfo() { return info_; }

  // UpstreamAttempt::Callbacks
  void onAttemptHead(http::ResponseHead&& head, http::BodyFraming framing, uint64_t length) override;
  void onAttemptData(const char* data, size_t len) override;
  void onAttemptTrailers(http::HeaderMap&& trailers) override;
  void onAttemptEnd() override;
  void onAttemptFailed(const UpstreamAttempt::Failure& failure) override;
  void onAttemptWriteWatermark(bool above) override;

  // FilterChain::Owner (routes with HTTP filters).
  event::Dispatcher& filterDispatcher() override { return ctx_.dispatcher(); }
  StreamSink& filterSink() override { return sink_; }
  void onFiltersPassed() override;
  void onFilterResponse() override;
  void filterReadDisable(bool disable) override { pauseDownstream(disable); }
  void onFilterChainComplete() override { response_complete_ = sink_complete_ = true; }
  void filterResetStream() override;
  bool filterBackgroundRequest(const http::RequestHead& head,
                               std::unique_ptr<filters::BackgroundResponseHandler> handler) override;

  // grpc-timeout: 1 to 8 digits and a unit (H M S m u n). -1 when malformed.
  static int64_t grpcTimeoutMs(const std::string& value);

 private:
  void startRouter(http::RequestHead&& head, const RequestInfo& info);
  // Redirect and direct-response routes: the answer, with no upstream.
  void sendRouteResponse(const http::RequestHead& head, const RequestInfo& info);
  void startMirrors(const http::RequestHead& upstream_head);
  void feedMirrors(const char* data, size_t len);
  HeaderVars headerVars() const;
  // Per attempt: the request head for the chosen endpoint (auto_host_rewrite, %UPSTREAM_HOST%).
  void prepareAttemptHead();
  void buildUpstreamHead(http::RequestHead& head, const RequestInfo& info);
  void emitBody(const char* data, size_t len);
  void emitComplete(const http::HeaderMap* trailers);
  void forwardResponseHead(http::ResponseHead&& head, http::BodyFraming framing, uint64_t length);

  // Attempts (router_stream_attempt.cc).
  void startAttempt();
  void sendKeptRequest();  // the kept body and (if complete) the end, on a new attempt
  void endAttempt();
  bool canReplay() const { return body_bytes_ == 0 || (keep_body_ && body_kept_); }
  // A failed attempt: tried again (true) or not (false).
  bool retryAttempt(http::ResponseFlag flag, int status);
  void scheduleAttempt(int64_t delay_ms);
  void overflow(ClusterState::Limit limit);

  // The end of the exchange.
  void fail(http::ResponseFlag flag, int status, std::string_view details);
  void localReplyThroughFilters(int status, std::string_view details);
  void sendGrpcError(int http_status, std::string_view details);
  void armStreamTimer();
  void onStreamTimer();
  void touch() { last_activity_ms_ = ctx_.dispatcher().nowMs(); }
  void pauseDownstream(bool pause);

  WorkerContext& ctx_;
  StreamSink& sink_;
  SnapshotPtr snapshot_;            // the pinned generation
  const CompiledRoute& route_;      // owned by snapshot_
  bool sink_complete_ = false;       // the filter chain handed the end of the response to the sink
  http::StreamInfo info_;           // what happened to this request
  const ListenerInfo* listener_ = nullptr;  // access logs, tracing (see setListener)
  std::unique_ptr<tracing::RequestTrace> trace_;  // the listener traces: this request's trace
  std::shared_ptr<const ClusterInfo> cluster_;
  // ORIGINAL_DST clusters: the endpoint made from the connection's original destination.
  std::shared_ptr<const EndpointInfo> original_endpoint_;
  http::RequestHead request_head_;  // upstream form, kept for every attempt
  // The head before endpoint-dependent changes, when the route has some (copied per attempt).
  std::unique_ptr<http::RequestHead> base_head_;
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
  std::unique_ptr<UpstreamAttempt> attempt_;  // the attempt in flight
  std::optional<RetryState> retry_;           // once routed to a cluster
  ScopedCount cluster_active_;                // the cluster's active_requests
  http::HeaderMap trailers_;        // response trailers
  event::Timer stream_timer_;
  event::Timer backoff_timer_;
  int64_t timeout_ms_ = 15000;      // the route's, or a shorter grpc-timeout
  int64_t response_deadline_ms_ = 0;  // 0 until the request is complete (or gRPC: from start)
  int64_t last_activity_ms_ = 0;
  bool deadline_from_start_ = false; // grpc-timeout given: counts from the start, not the end
  bool is_grpc_ = false;
  bool keep_body_ = false;          // retries possible: keep the body up to the replay limit
  bool body_kept_ = true;           // kept_body_ holds the whole body received so far
  bool in_backoff_ = false;
  bool request_complete_ = false;
  bool response_started_ = false;
  bool response_complete_ = false;
  bool downstream_paused_ = false;  // we paused the downstream (write buffer or backoff)
  bool upstream_paused_ = false;    // we paused the upstream for the downstream's buffer
  bool done_ = false;               // a local reply, reset or completion happened
};

}  // namespace strait::proxy
