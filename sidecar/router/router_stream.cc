#include "sidecar/router/router_stream.h"

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "sidecar/router/background_request.h"
#include "sidecar/router/header_utils.h"
#include "sidecar/router/redirect.h"
#include "sidecar/router/request_log.h"
#include "sidecar/router/request_router.h"

namespace strait::proxy {

RouterStream::RouterStream(WorkerContext& ctx, StreamSink& sink, SnapshotPtr snapshot, const CompiledRoute& route)
    : ctx_(ctx), sink_(sink), snapshot_(std::move(snapshot)), route_(route),
      stream_timer_(ctx.dispatcher(), [this] { onStreamTimer(); }),
      backoff_timer_(ctx.dispatcher(), [this] { startAttempt(); }) {
  info_.route_name = route_.name;
  WorkerStats::inc(ctx_.stats().downstream_rq_active);
}

// The stream is always deleted deferred (never inside one of its attempt's callbacks), so
// its last attempt can go with it at once.
RouterStream::~RouterStream() {
  attempt_.reset();
  int64_t now = ctx_.dispatcher().nowMs();
  if (trace_) trace_->finish(info_, absl::GetCurrentTimeNanos());
  if (route_.stats) route_.stats->record(info_, now);
  if (cluster_) cluster_->state->requests.record(info_, now);
  if (listener_ != nullptr) logRequest(ctx_, *listener_, info_);
  WorkerStats::dec(ctx_.stats().downstream_rq_active);
}

void RouterStream::start(http::RequestHead&& head, http::BodyFraming framing, uint64_t content_length,
                         const RequestInfo& info) {
  (void)content_length;
  request_framing_ = framing;
  if (info_.start_ms == 0) info_.start_ms = ctx_.dispatcher().nowMs();
  info_.secure = info.forwarded_proto == "https";
  last_activity_ms_ = info_.start_ms;
  if (!route_.filters.empty()) {
    chain_ = std::make_unique<FilterChain>(*this, route_.filters, info_);
    if (!chain_->empty()) {
      held_ = std::make_unique<HeldRequest>();
      held_->head = std::move(head);
      held_->info = info;
      chain_->startRequest(held_->head, framing == http::BodyFraming::kNone);
      return;
    }
    chain_.reset();
  }
  startRouter(std::move(head), info);
}

// Every filter let the request through (at once or later): route it, then hand over the
// body that arrived meanwhile.
void RouterStream::onFiltersPassed() {
  std::unique_ptr<HeldRequest> held = std::move(held_);
  if (!held || done_) return;
  startRouter(std::move(held->head), held->info);
  if (!held->body.empty()) onRequestBody(held->body.data(), held->body.size());
  if (held->complete) onRequestComplete();
}

// A filter answers (a local reply, a cached response): no upstream exchange, or none more.
void RouterStream::onFilterResponse() {
  held_.reset();
  done_ = true;
  response_started_ = true;
  stream_timer_.disable();
  endAttempt();
  cluster_active_.release();
  in_backoff_ = false;
  pauseDownstream(false);
}

void RouterStream::filterResetStream() {
  // The upstream may be done (a filter holding the end back, e.g. the WAF inspecting the
  // response body): what counts is whether the client got the end.
  if (sink_complete_) return;
  held_.reset();
  done_ = true;
  stream_timer_.disable();
  endAttempt();
  cluster_active_.release();
  in_backoff_ = false;
  pauseDownstream(false);
  response_complete_ = true;  // nothing more will be sent
  sink_.resetDownstream();
}

void RouterStream::startRouter(http::RequestHead&& head, const RequestInfo& info) {
  if (route_.action != CompiledRoute::Action::kRoute) return sendRouteResponse(head, info);
  const std::string& name = route_.pickCluster(ctx_.random(), &head.headers);
  info_.cluster_name = name;
  auto it = snapshot_->clusters.find(name);
  if (it == snapshot_->clusters.end()) return fail(http::ResponseFlag::kClusterNotFound, 503, "cluster_not_found");
  cluster_ = it->second;
  if (cluster_->original_dst) {
    if (info.original_dst == nullptr) {
      return fail(http::ResponseFlag::kNoHealthyUpstream, 503, "no_original_destination");
    }
    original_endpoint_ = std::make_shared<const EndpointInfo>(cluster_->originalDestination(*info.original_dst));
  }
  const std::string* content_type = head.headers.get("content-type");
  is_grpc_ = content_type && content_type->rfind("application/grpc", 0) == 0;
  timeout_ms_ = route_.timeout_ms;
  if (const std::string* grpc_timeout = head.headers.get("grpc-timeout")) {
    int64_t ms = grpcTimeoutMs(*grpc_timeout);
    if (ms >= 0) {
      timeout_ms_ = std::min(timeout_ms_, ms);
      deadline_from_start_ = true;  // a gRPC deadline bounds the whole call
    }
  }
  ClusterState& cs = *cluster_->state;
  if (cs.active_requests.load(std::memory_order_relaxed) >= cluster_->max_requests) {
    return overflow(ClusterState::kMaxRequests);
  }
  cluster_active_ = ScopedCount(cs.active_requests);
  retry_.emplace(route_.retry, *cluster_);
  // Expect: 100-continue is answered here, once the request is routed and admitted (as
  // Envoy does): the client starts sending at once, the upstream never sees the
  // expectation, and a retry can replay the body.
  if (const std::string* expect = head.headers.get("expect")) {
    if (absl::EqualsIgnoreCase(*expect, "100-continue") && request_framing_ != http::BodyFraming::kNone) {
      http::ResponseHead interim;
      interim.status = 100;
      interim.reason = "Continue";
      sink_.sendInterim(interim);
    }
    head.headers.remove("expect");
  }
  keep_body_ = route_.retry.retry_on != 0 && request_framing_ != http::BodyFraming::kNone;
  lb_hash_ = requestHash(cluster_->hash_policy, head, info_.client_ip);  // before headers change
  buildUpstreamHead(head, info);
  if (!route_.mirrors.empty()) startMirrors(head);
  request_head_ = std::move(head);
  if (route_.auto_host_rewrite || route_.request_headers.usesUpstreamHost()) {
    base_head_ = std::make_unique<http::RequestHead>(request_head_);
  }
  if (deadline_from_start_) response_deadline_ms_ = info_.start_ms + timeout_ms_;
  armStreamTimer();
  startAttempt();
}

void RouterStream::buildUpstreamHead(http::RequestHead& head, const RequestInfo& info) {
  auto& h = head.headers;
  stripHopByHop(h, /*keep_te_trailers=*/true);
  if (request_framing_ == http::BodyFraming::kChunked) h.add("transfer-encoding", "chunked");
  // Each proxy appends the address it received the request from (the TCP peer).
  const std::string& peer = info_.downstream_address.empty() ? info_.client_ip : info_.downstream_address;
  if (const std::string* xff = h.get("x-forwarded-for")) {
    h.set("x-forwarded-for", absl::StrCat(*xff, ", ", peer));
  } else {
    h.add("x-forwarded-for", peer);
  }
  h.set("x-forwarded-proto", info.forwarded_proto);
  if (h.get("x-request-id") == nullptr) h.add("x-request-id", ctx_.newRequestId());
  info_.request_id = *h.get("x-request-id");
  if (listener_ != nullptr && listener_->tracing) {
    trace_ = std::make_unique<tracing::RequestTrace>(listener_->tracing, h, [this] { return ctx_.random(); },
                                                     absl::GetCurrentTimeNanos());
    info_.trace_id = tracing::toHex(trace_->traceId());
  }
  // The verified caller, for the service (client copies were removed by routeRequest).
  if (!info_.peer_identity.empty()) h.set(kPeerIdentityHeader, info_.peer_identity);
  if (route_.rewritesPath()) {
    // The target's path is the normalised one routeRequest() matched (see request_router.h).
    size_t q = head.target.find('?');
    std::string path = route_.rewritePath(std::string_view(head.target).substr(0, q));
    head.target = q == std::string::npos ? path : path + head.target.substr(q);
  }
  if (!route_.host_rewrite.empty()) h.set("host", route_.host_rewrite);
  route_.request_headers.apply(h, headerVars(), /*skip_upstream_host=*/true);
}

HeaderVars RouterStream::headerVars() const {
  HeaderVars v;
  v.client_ip = info_.client_ip;
  v.request_id = info_.request_id;
  v.peer_identity = info_.peer_identity;
  v.route_name = route_.name;
  v.upstream_host = info_.upstream_host;
  return v;
}

void RouterStream::prepareAttemptHead() {
  request_head_ = *base_head_;
  if (route_.auto_host_rewrite) request_head_.headers.set("host", std::string(info_.upstream_host));
  route_.request_headers.apply(request_head_.headers, headerVars(), false, /*only_upstream_host=*/true);
}

// Each mirror policy samples the request independently; a sampled copy gets the upstream
// head (rewrites and added headers included) with the host suffixed "-shadow".
void RouterStream::startMirrors(const http::RequestHead& upstream_head) {
  for (const MirrorPolicy& p : route_.mirrors) {
    if (p.per_million == 0 || ctx_.random() % 1000000 >= p.per_million) continue;
    auto it = snapshot_->clusters.find(p.cluster);
    if (it == snapshot_->clusters.end()) continue;
    http::RequestHead copy = upstream_head;
    const std::string* host = copy.headers.get("host");
    copy.headers.set("host", MirrorRequest::shadowHost(host ? *host : std::string()));
    mirrors_.push_back(std::make_unique<MirrorRequest>(ctx_, it->second, std::move(copy), p.max_body_bytes,
                                                       p.timeout_ms));
  }
  if (request_framing_ == http::BodyFraming::kNone) {
    for (auto& m : mirrors_) MirrorRequest::send(std::move(m));
    mirrors_.clear();
  }
}

// A filter's detached request: the head goes through the same routing steps as this
// stream's own would (cluster choice, rewrites, header edits) but is sent on its own.
bool RouterStream::filterBackgroundRequest(const http::RequestHead& head,
                                           std::unique_ptr<filters::BackgroundResponseHandler> handler) {
  if (route_.action != CompiledRoute::Action::kRoute || !held_ || request_framing_ != http::BodyFraming::kNone) {
    return false;
  }
  http::RequestHead copy = head;
  auto it = snapshot_->clusters.find(route_.pickCluster(ctx_.random(), &copy.headers));
  if (it == snapshot_->clusters.end() || it->second->http2) return false;
  std::string own_id = std::move(info_.request_id);
  buildUpstreamHead(copy, held_->info);
  BackgroundRequest::Params params;
  params.request_id = std::exchange(info_.request_id, std::move(own_id));  // the background request has its own
  params.snapshot = snapshot_;
  params.route = &route_;
  params.client_ip = info_.client_ip;
  params.peer_identity = info_.peer_identity;
  params.cluster = it->second;
  params.head = std::move(copy);
  // Bounded even on a route without a timeout: nobody waits for it, it must not linger.
  params.timeout_ms = route_.timeout_ms > 0 ? route_.timeout_ms : BackgroundRequest::kDefaultTimeoutMs;
  params.auto_host_rewrite = route_.auto_host_rewrite;
  BackgroundRequest::send(std::make_unique<BackgroundRequest>(ctx_, std::move(params), std::move(handler)));
  return true;
}

void RouterStream::sendRouteResponse(const http::RequestHead& head, const RequestInfo& info) {
  done_ = true;
  response_started_ = true;
  LocalRouteResponse r = localRouteResponse(route_, head, info.forwarded_proto);
  if (const std::string* id = head.headers.get("x-request-id")) info_.request_id = *id;
  route_.response_headers.apply(r.head.headers, headerVars());
  if (head.method == "HEAD") r.body.clear();  // content-length stays: the GET's
  http::BodyFraming framing = r.body.empty() ? http::BodyFraming::kNone : http::BodyFraming::kContentLength;
  if (chain_) {
    chain_->encodeHead(std::move(r.head), framing, r.body.size());
    if (!r.body.empty()) chain_->encodeData(r.body.data(), r.body.size());
    return chain_->encodeComplete(nullptr);
  }
  response_complete_ = true;
  sink_.sendHeaders(std::move(r.head), framing, r.body.size());
  if (!r.body.empty()) sink_.sendBody(r.body.data(), r.body.size());
  sink_.sendComplete(nullptr);
}

void RouterStream::onRequestBody(const char* data, size_t len) {
  // Mirrors get the whole body even if the primary already failed or answered.
  if (!mirrors_.empty() && !held_ && len > 0) feedMirrors(data, len);
  if (done_ || len == 0) return;
  if (held_) {  // a filter holds the request: keep the body, and stop reading past a bound
    held_->body.append(data, len);
    if (chain_) chain_->heldData(data, len);  // may let the request go on, or answer it
    if (held_ && held_->body.size() > net::Connection::kHighWatermark) pauseDownstream(true);
    return;
  }
  if (chain_ && !chain_->requestData(data, len)) return;
  body_bytes_ += len;
  info_.bytes_received += len;
  touch();
  if (keep_body_ && body_kept_) {
    if (kept_body_.size() + len <= route_.retry.max_replay_body_bytes) {
      kept_body_.append(data, len);
    } else {
      body_kept_ = false;  // too large to replay: this request will not be retried
      std::string().swap(kept_body_);
    }
  }
  if (in_backoff_) {
    // Between attempts the body is only kept; if it no longer fits, the retry is off.
    if (!canReplay()) fail(http::ResponseFlag::kRetryBodyTooLarge, 502, "upstream_retry_body_too_large");
    return;
  }
  if (attempt_) attempt_->sendBody(data, len);
}

// A mirror whose body outgrew its limit is dropped before it sent anything.
void RouterStream::feedMirrors(const char* data, size_t len) {
  for (auto& m : mirrors_) {
    if (!m->addBody(data, len)) {
      WorkerStats::inc(ctx_.stats().mirror_dropped);
      m.reset();
    }
  }
  mirrors_.erase(std::remove(mirrors_.begin(), mirrors_.end(), nullptr), mirrors_.end());
}

void RouterStream::onRequestTrailers(http::HeaderMap&& trailers) { request_trailers_ = std::move(trailers); }

void RouterStream::onRequestComplete() {
  if (held_) {
    held_->complete = true;
    if (chain_) chain_->heldEnd();
    return;
  }
  request_complete_ = true;
  for (auto& m : mirrors_) MirrorRequest::send(std::move(m));
  mirrors_.clear();
  if (done_) return;
  touch();
  if (!deadline_from_start_) response_deadline_ms_ = ctx_.dispatcher().nowMs() + timeout_ms_;
  armStreamTimer();
  if (in_backoff_ || !attempt_) return;
  attempt_->end(request_trailers_.size() ? &request_trailers_ : nullptr);
}

void RouterStream::armStreamTimer() {
  int64_t next = std::numeric_limits<int64_t>::max();
  if (response_deadline_ms_ > 0) next = response_deadline_ms_;
  if (route_.max_stream_duration_ms > 0) next = std::min(next, info_.start_ms + route_.max_stream_duration_ms);
  if (route_.idle_timeout_ms > 0) next = std::min(next, last_activity_ms_ + route_.idle_timeout_ms);
  if (next == std::numeric_limits<int64_t>::max()) return stream_timer_.disable();
  stream_timer_.enableMs(std::max<int64_t>(0, next - ctx_.dispatcher().nowMs()));
}

void RouterStream::onStreamTimer() {
  int64_t now = ctx_.dispatcher().nowMs();
  if (route_.max_stream_duration_ms > 0 && now >= info_.start_ms + route_.max_stream_duration_ms) {
    WorkerStats::inc(ctx_.stats().upstream_rq_timeout);
    return fail(http::ResponseFlag::kMaxStreamDuration, 504, "max_stream_duration_exceeded");
  }
  if (response_deadline_ms_ > 0 && now >= response_deadline_ms_) {
    WorkerStats::inc(ctx_.stats().upstream_rq_timeout);
    if (attempt_ && !response_started_) attempt_->reportTimeout();
    return fail(http::ResponseFlag::kUpstreamRequestTimeout, 504, "upstream_response_timeout");
  }
  if (route_.idle_timeout_ms > 0 && now >= last_activity_ms_ + route_.idle_timeout_ms) {
    WorkerStats::inc(ctx_.stats().upstream_rq_timeout);
    return fail(http::ResponseFlag::kStreamIdleTimeout, 504, "stream_idle_timeout");
  }
  armStreamTimer();  // activity since the timer was set: later
}

void RouterStream::pauseDownstream(bool pause) {
  if (pause == downstream_paused_) return;
  downstream_paused_ = pause;
  sink_.readDisableDownstream(pause);
}

void RouterStream::onDownstreamWatermark(bool above) {
  if (chain_ && chain_->responding()) return chain_->onDownstreamWatermark(above);
  if (above == upstream_paused_) return;
  upstream_paused_ = above;
  if (attempt_) attempt_->readDisable(above);
}

void RouterStream::reset() {
  mirrors_.clear();  // the request will not complete: no copy of a partial body
  if (chain_ && !response_complete_) chain_->onReset();
  if (!response_complete_) info_.setFlag(http::ResponseFlag::kDownstreamDisconnect);
  held_.reset();
  done_ = true;
  stream_timer_.disable();
  backoff_timer_.disable();
  downstream_paused_ = false;  // the downstream is going away: nothing to resume
  endAttempt();
  cluster_active_.release();
}

void RouterStream::fail(http::ResponseFlag flag, int status, std::string_view details) {
  if (done_) return;
  done_ = true;
  info_.fail(flag, details);
  info_.response_code = is_grpc_ && !response_started_ ? 200 : status;
  stream_timer_.disable();
  endAttempt();
  // The upstream side is over: the cluster's active requests must not count a local reply
  // that waits for a slow client (a client that never reads would hold them otherwise).
  cluster_active_.release();
  in_backoff_ = false;
  backoff_timer_.disable();
  pauseDownstream(false);
  if (response_started_) {
    if (chain_) chain_->onReset();
    return sink_.resetDownstream();
  }
  if (is_grpc_) return sendGrpcError(status, details);
  if (chain_ && !chain_->responding()) return localReplyThroughFilters(status, details);
  sink_.sendLocalReply(status, details);
}

// On a route with filters, the router's own error replies go through the response filters
// like an upstream response would (a cache may answer stale-if-error instead, CORS headers
// are added).
void RouterStream::localReplyThroughFilters(int status, std::string_view details) {
  http::ResponseHead head;
  std::string body = makeLocalReply(status, details, &head);
  response_started_ = true;
  chain_->encodeHead(std::move(head), http::BodyFraming::kContentLength, body.size());
  chain_->encodeData(body.data(), body.size());
  response_complete_ = true;
  chain_->encodeComplete(nullptr);
}

void RouterStream::forwardResponseHead(http::ResponseHead&& head, http::BodyFraming framing, uint64_t length) {
  response_started_ = true;
  info_.first_upstream_byte_ms = ctx_.dispatcher().nowMs();
  touch();
  stripHopByHop(head.headers, /*keep_te_trailers=*/false);
  route_.response_headers.apply(head.headers, headerVars());
  if (chain_) return chain_->encodeHead(std::move(head), framing, length);
  sink_.sendHeaders(std::move(head), framing, length);
}

void RouterStream::emitBody(const char* data, size_t len) {
  info_.bytes_sent += len;
  if (chain_) return chain_->encodeData(data, len);
  sink_.sendBody(data, len);
}

void RouterStream::emitComplete(const http::HeaderMap* trailers) {
  info_.end_ms = ctx_.dispatcher().nowMs();
  if (chain_) return chain_->encodeComplete(trailers);
  sink_.sendComplete(trailers);
}

// A gRPC caller gets a gRPC error, not an HTTP error page: a trailers-only response
// (HTTP 200, grpc-status in the headers, no body).
void RouterStream::sendGrpcError(int http_status, std::string_view details) {
  int code = 14;                          // UNAVAILABLE
  if (http_status == 504) code = 4;       // DEADLINE_EXCEEDED
  else if (http_status == 404) code = 12; // UNIMPLEMENTED
  http::ResponseHead head;
  head.status = 200;
  head.headers.add("content-type", "application/grpc");
  head.headers.add("grpc-status", std::to_string(code));
  head.headers.add("grpc-message", std::string(details));
  head.headers.add("content-length", "0");
  head.headers.add("x-strait-local-reply", std::string(details));
  response_started_ = true;
  sink_.sendHeaders(std::move(head), http::BodyFraming::kNone, 0);
  sink_.sendComplete(nullptr);
}

int64_t RouterStream::grpcTimeoutMs(const std::string& value) {
  if (value.size() < 2 || value.size() > 9) return -1;
  int64_t n = 0;
  for (size_t i = 0; i + 1 < value.size(); i++) {
    if (value[i] < '0' || value[i] > '9') return -1;
    n = n * 10 + (value[i] - '0');
  }
  switch (value.back()) {
    case 'H': return n * 3600 * 1000;
    case 'M': return n * 60 * 1000;
    case 'S': return n * 1000;
    case 'm': return n;
    case 'u': return std::max<int64_t>(1, n / 1000);
    case 'n': return std::max<int64_t>(1, n / 1000000);
    default: return -1;
  }
}

}  // namespace strait::proxy
