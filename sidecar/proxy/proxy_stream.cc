#include "sidecar/proxy/proxy_stream.h"

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "sidecar/proxy/background_request.h"
#include "sidecar/proxy/header_utils.h"
#include "sidecar/proxy/outlier_detector.h"
#include "sidecar/proxy/redirect.h"

namespace strait::proxy {

ProxyStream::ProxyStream(WorkerContext& ctx, StreamSink& sink, SnapshotPtr snapshot,
                         const CompiledRoute& route)
    : ctx_(ctx), sink_(sink), snapshot_(std::move(snapshot)), route_(route),
      stream_timer_(ctx.dispatcher(), [this] { onStreamTimer(); }),
      attempt_timer_(ctx.dispatcher(), [this] { onAttemptTimer(); }) {}

ProxyStream::~ProxyStream() {
  h2_stream_.cancel();
  releaseAttemptCounters();
  if (counted_active_) ClusterState::dec(cluster_->state->active_requests);
  if (upstream_) {
    upstream_->setCallbacks(nullptr);
    upstream_->close(net::Connection::CloseType::kNoFlush);
    if (pool_) pool_->onConnectionClosed();
    WorkerStats::dec(ctx_.stats().upstream_cx_active);
    ctx_.dispatcher().deferredDelete(std::move(upstream_));
  }
}

void ProxyStream::start(http::RequestHead&& head, http::BodyFraming framing, uint64_t content_length,
                        const RequestInfo& info) {
  (void)content_length;
  request_framing_ = framing;
  start_ms_ = last_activity_ms_ = ctx_.dispatcher().nowMs();
  if (!route_.filters.empty()) {
    filters::StreamInfo si;
    si.client_ip = info.client_ip;
    si.route_name = route_.name;
    si.secure = info.forwarded_proto == "https";
    if (const std::string* peer = head.headers.get("x-strait-peer-identity")) si.peer_identity = *peer;
    chain_ = std::make_unique<FilterChain>(*this, route_.filters, std::move(si));
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
void ProxyStream::onFiltersPassed() {
  std::unique_ptr<HeldRequest> held = std::move(held_);
  if (!held || done_) return;
  startRouter(std::move(held->head), held->info);
  if (!held->body.empty()) onRequestBody(held->body.data(), held->body.size());
  if (held->complete) onRequestComplete();
}

// A filter answers (a local reply, a cached response): no upstream exchange, or none more.
void ProxyStream::onFilterResponse() {
  held_.reset();
  done_ = true;
  response_started_ = true;
  stream_timer_.disable();
  endAttempt();
  in_backoff_ = false;
  pauseDownstream(false);
}

void ProxyStream::filterResetStream() {
  if (response_complete_) return;
  held_.reset();
  done_ = true;
  stream_timer_.disable();
  endAttempt();
  in_backoff_ = false;
  pauseDownstream(false);
  response_complete_ = true;  // nothing more will be sent
  sink_.resetDownstream();
}

void ProxyStream::startRouter(http::RequestHead&& head, const RequestInfo& info) {
  client_ip_ = info.client_ip;
  if (const std::string* peer = head.headers.get("x-strait-peer-identity")) peer_identity_ = *peer;
  if (route_.action != CompiledRoute::Action::kRoute) return sendRouteResponse(head, info);
  const std::string& name = route_.pickCluster(ctx_.random(), &head.headers);
  auto it = snapshot_->clusters.find(name);
  if (it == snapshot_->clusters.end()) return fail(503, "cluster_not_found");
  cluster_ = it->second;
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
  ClusterState::inc(cs.active_requests);
  counted_active_ = true;
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
  lb_hash_ = requestHash(cluster_->hash_policy, head, info.client_ip);  // before headers change
  buildUpstreamHead(head, info);
  if (!route_.mirrors.empty()) startMirrors(head);
  request_head_ = std::move(head);
  if (route_.auto_host_rewrite || route_.request_headers.usesUpstreamHost()) {
    base_head_ = std::make_unique<http::RequestHead>(request_head_);
  }
  if (deadline_from_start_) response_deadline_ms_ = start_ms_ + timeout_ms_;
  armStreamTimer();
  startAttempt();
}

void ProxyStream::startAttempt() {
  in_backoff_ = false;
  pauseDownstream(false);
  attempts_++;
  LoadBalancer& lb = ctx_.clusterManager().loadBalancer(cluster_);
  LbContext lb_ctx{ctx_.dispatcher().nowMs(), lb_hash_};
  int index = lb.pick(lb_ctx);
  // A retry prefers another endpoint than the one that just failed (a hash policy keeps
  // choosing the same one unless it is unavailable: then the retry goes there again).
  for (int i = 0; i < 2 && index >= 0 && &cluster_->endpoints[index] == failed_endpoint_; i++) {
    index = lb.pick(lb_ctx);
  }
  if (index < 0) return fail(503, "no_healthy_upstream");
  endpoint_ = &cluster_->endpoints[index];
  ClusterState::inc(endpoint_->state->active_requests);
  counted_host_ = true;
  if (base_head_ || route_.response_headers.usesUpstreamHost()) upstream_host_ = endpoint_->address.toString();
  if (base_head_) prepareAttemptHead();
  if (route_.retry.retry_on != 0) request_head_.headers.set("x-strait-attempt-count", std::to_string(attempts_));
  WorkerStats::inc(ctx_.stats().upstream_rq_total);
  if (cluster_->http2) {
    startH2Attempt();
  } else {
    startH1Attempt();
  }
}

bool ProxyStream::startH1Attempt() {
  ClusterState& cs = *cluster_->state;
  pool_ = &ctx_.clusterManager().pool(*cluster_, *endpoint_);
  bool fresh = next_fresh_;
  next_fresh_ = false;
  if (fresh || pool_->idleCount() == 0) {
    if (cs.connections.load(std::memory_order_relaxed) >= cluster_->max_connections) {
      overflow(ClusterState::kMaxConnections);
      return false;
    }
    if (cs.pending_requests.load(std::memory_order_relaxed) >= cluster_->max_pending_requests) {
      overflow(ClusterState::kMaxPendingRequests);
      return false;
    }
  }
  parser_.emplace(http::H1Parser::Mode::kResponse, this);
  parser_->expectHeadResponse(request_head_.method == "HEAD");
  upstream_ = pool_->acquire(&reused_, fresh);
  if (!upstream_) {
    attemptFailed(Failure::kConnect, 503, "upstream_socket_failure");
    return false;
  }
  upstream_->setCallbacks(this);
  if (reused_) {
    armPerTryTimeout();
  } else {
    ClusterState::inc(cs.pending_requests);
    counted_pending_ = true;
    attempt_timer_.enableMs(cluster_->connect_timeout_ms);
  }
  sendKeptRequest();
  return true;
}

bool ProxyStream::startH2Attempt() {
  H2UpstreamPool& pool = ctx_.clusterManager().h2Pool(*cluster_, *endpoint_);
  bool has_body = !kept_body_.empty() || request_trailers_.size() > 0;
  bool end_stream = request_framing_ == http::BodyFraming::kNone || (request_complete_ && !has_body);
  h2_body_sent_ = false;
  if (!pool.newStream(request_head_, end_stream, this, cluster_->max_connections, &h2_stream_)) {
    if (cluster_->state->connections.load(std::memory_order_relaxed) >= cluster_->max_connections) {
      overflow(ClusterState::kMaxConnections);
    } else {
      attemptFailed(Failure::kConnect, 503, "upstream_socket_failure");
    }
    return false;
  }
  if (!end_stream) sendKeptRequest();
  armPerTryTimeout();
  return true;
}

// What the downstream sent so far, on the new attempt: the kept body and, if the request is
// complete, its end (HTTP/1.1 also needs the head; HTTP/2 sent it with the stream).
void ProxyStream::sendKeptRequest() {
  if (h2_stream_.conn) {
    if (!kept_body_.empty()) {
      h2_body_sent_ = true;
      h2_stream_.sendData(kept_body_.data(), kept_body_.size());
    }
    if (request_complete_) h2_stream_.end(request_trailers_.size() ? &request_trailers_ : nullptr);
    return;
  }
  std::string head;
  http::encodeRequestHead(request_head_, &head);
  upstream_->write(head);
  if (!kept_body_.empty()) writeBodyH1(kept_body_.data(), kept_body_.size());
  if (request_complete_) writeEndH1();
}

void ProxyStream::writeBodyH1(const char* data, size_t len) {
  if (request_framing_ == http::BodyFraming::kChunked) {
    std::string chunk;
    http::encodeChunk(data, len, &chunk);
    upstream_->write(chunk);
  } else {
    upstream_->write(std::string_view(data, len));
  }
}

void ProxyStream::writeEndH1() {
  if (request_framing_ != http::BodyFraming::kChunked) return;  // trailers need chunked framing
  std::string last;
  http::encodeLastChunk(request_trailers_.size() ? &request_trailers_ : nullptr, &last);
  upstream_->write(last);
}

void ProxyStream::buildUpstreamHead(http::RequestHead& head, const RequestInfo& info) {
  auto& h = head.headers;
  stripHopByHop(h, /*keep_te_trailers=*/true);
  if (request_framing_ == http::BodyFraming::kChunked) h.add("transfer-encoding", "chunked");
  if (const std::string* xff = h.get("x-forwarded-for")) {
    h.set("x-forwarded-for", absl::StrCat(*xff, ", ", info.client_ip));
  } else {
    h.add("x-forwarded-for", info.client_ip);
  }
  h.set("x-forwarded-proto", info.forwarded_proto);
  if (h.get("x-request-id") == nullptr) h.add("x-request-id", ctx_.newRequestId());
  request_id_ = *h.get("x-request-id");
  if (route_.rewritesPath()) {
    // The target's path is the normalised one routeRequest() matched (see request_router.h).
    size_t q = head.target.find('?');
    std::string path = route_.rewritePath(std::string_view(head.target).substr(0, q));
    head.target = q == std::string::npos ? path : path + head.target.substr(q);
  }
  if (!route_.host_rewrite.empty()) h.set("host", route_.host_rewrite);
  route_.request_headers.apply(h, headerVars(), /*skip_upstream_host=*/true);
}

HeaderVars ProxyStream::headerVars() const {
  HeaderVars v;
  v.client_ip = client_ip_;
  v.request_id = request_id_;
  v.peer_identity = peer_identity_;
  v.route_name = route_.name;
  v.upstream_host = upstream_host_;
  return v;
}

void ProxyStream::prepareAttemptHead() {
  request_head_ = *base_head_;
  if (route_.auto_host_rewrite) request_head_.headers.set("host", upstream_host_);
  route_.request_headers.apply(request_head_.headers, headerVars(), false, /*only_upstream_host=*/true);
}

// Each mirror policy samples the request independently; a sampled copy gets the upstream
// head (rewrites and added headers included) with the host suffixed "-shadow".
void ProxyStream::startMirrors(const http::RequestHead& upstream_head) {
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
bool ProxyStream::filterBackgroundRequest(const http::RequestHead& head,
                                          std::unique_ptr<filters::BackgroundResponseHandler> handler) {
  if (route_.action != CompiledRoute::Action::kRoute || !held_ || request_framing_ != http::BodyFraming::kNone) {
    return false;
  }
  http::RequestHead copy = head;
  auto it = snapshot_->clusters.find(route_.pickCluster(ctx_.random(), &copy.headers));
  if (it == snapshot_->clusters.end() || it->second->http2) return false;
  client_ip_ = held_->info.client_ip;
  if (const std::string* peer = copy.headers.get("x-strait-peer-identity")) peer_identity_ = *peer;
  std::string own_id = std::move(request_id_);
  buildUpstreamHead(copy, held_->info);
  BackgroundRequest::Params params;
  params.request_id = std::exchange(request_id_, std::move(own_id));  // the background request has its own
  params.snapshot = snapshot_;
  params.route = &route_;
  params.client_ip = client_ip_;
  params.peer_identity = peer_identity_;
  params.cluster = it->second;
  params.head = std::move(copy);
  // Bounded even on a route without a timeout: nobody waits for it, it must not linger.
  params.timeout_ms = route_.timeout_ms > 0 ? route_.timeout_ms : BackgroundRequest::kDefaultTimeoutMs;
  params.auto_host_rewrite = route_.auto_host_rewrite;
  BackgroundRequest::send(std::make_unique<BackgroundRequest>(ctx_, std::move(params), std::move(handler)));
  return true;
}

void ProxyStream::sendRouteResponse(const http::RequestHead& head, const RequestInfo& info) {
  done_ = true;
  response_started_ = true;
  LocalRouteResponse r = localRouteResponse(route_, head, info.forwarded_proto);
  if (const std::string* id = head.headers.get("x-request-id")) request_id_ = *id;
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

void ProxyStream::onRequestBody(const char* data, size_t len) {
  // Mirrors get the whole body even if the primary already failed or answered.
  if (!mirrors_.empty() && !held_ && len > 0) feedMirrors(data, len);
  if (done_ || len == 0) return;
  if (held_) {  // a filter holds the request: keep the body, and stop reading past a bound
    held_->body.append(data, len);
    if (held_->body.size() > net::Connection::kHighWatermark) pauseDownstream(true);
    return;
  }
  if (chain_ && !chain_->requestData(data, len)) return;
  body_bytes_ += len;
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
    if (!canReplay()) fail(502, "upstream_retry_body_too_large");
    return;
  }
  if (h2_stream_.conn) {
    h2_body_sent_ = true;
    h2_stream_.sendData(data, len);
    if (h2_stream_.queued() > net::Connection::kHighWatermark) pauseDownstream(true);
    return;
  }
  if (upstream_) writeBodyH1(data, len);
}

// A mirror whose body outgrew its limit is dropped before it sent anything.
void ProxyStream::feedMirrors(const char* data, size_t len) {
  for (auto& m : mirrors_) {
    if (!m->addBody(data, len)) {
      WorkerStats::inc(ctx_.stats().mirror_dropped);
      m.reset();
    }
  }
  mirrors_.erase(std::remove(mirrors_.begin(), mirrors_.end(), nullptr), mirrors_.end());
}

void ProxyStream::onRequestTrailers(http::HeaderMap&& trailers) { request_trailers_ = std::move(trailers); }

void ProxyStream::onRequestComplete() {
  if (held_) {
    held_->complete = true;
    return;
  }
  request_complete_ = true;
  for (auto& m : mirrors_) MirrorRequest::send(std::move(m));
  mirrors_.clear();
  if (done_) return;
  touch();
  if (!deadline_from_start_) response_deadline_ms_ = ctx_.dispatcher().nowMs() + timeout_ms_;
  armStreamTimer();
  if (in_backoff_) return;
  if (h2_stream_.conn) {
    h2_stream_.end(request_trailers_.size() ? &request_trailers_ : nullptr);
    armPerTryTimeout();
    return;
  }
  if (!upstream_) return;
  writeEndH1();
  if (!upstream_->connecting()) armPerTryTimeout();
}

void ProxyStream::armStreamTimer() {
  int64_t next = std::numeric_limits<int64_t>::max();
  if (response_deadline_ms_ > 0) next = response_deadline_ms_;
  if (route_.max_stream_duration_ms > 0) next = std::min(next, start_ms_ + route_.max_stream_duration_ms);
  if (route_.idle_timeout_ms > 0) next = std::min(next, last_activity_ms_ + route_.idle_timeout_ms);
  if (next == std::numeric_limits<int64_t>::max()) return stream_timer_.disable();
  stream_timer_.enableMs(std::max<int64_t>(0, next - ctx_.dispatcher().nowMs()));
}

void ProxyStream::onStreamTimer() {
  int64_t now = ctx_.dispatcher().nowMs();
  if (route_.max_stream_duration_ms > 0 && now >= start_ms_ + route_.max_stream_duration_ms) {
    WorkerStats::inc(ctx_.stats().upstream_rq_timeout);
    return fail(504, "max_stream_duration_exceeded");
  }
  if (response_deadline_ms_ > 0 && now >= response_deadline_ms_) {
    WorkerStats::inc(ctx_.stats().upstream_rq_timeout);
    bool attempt_waiting = !response_started_ && (upstream_ || h2_stream_.conn);
    if (attempt_waiting) reportUpstreamResult(ctx_, *cluster_, *endpoint_, UpstreamResult::timeout());
    return fail(504, "upstream_response_timeout");
  }
  if (route_.idle_timeout_ms > 0 && now >= last_activity_ms_ + route_.idle_timeout_ms) {
    WorkerStats::inc(ctx_.stats().upstream_rq_timeout);
    return fail(504, "stream_idle_timeout");
  }
  armStreamTimer();  // activity since the timer was set: later
}

void ProxyStream::pauseDownstream(bool pause) {
  if (pause == downstream_paused_) return;
  downstream_paused_ = pause;
  sink_.readDisableDownstream(pause);
}

void ProxyStream::onDownstreamWatermark(bool above) {
  if (chain_ && chain_->responding()) return chain_->onDownstreamWatermark(above);
  if (h2_stream_.conn) {
    // HTTP/2: stop acknowledging response DATA; the upstream's window closes.
    upstream_paused_ = above;
    if (!above && h2_unconsumed_ > 0) {
      h2_stream_.consume(h2_unconsumed_);
      h2_unconsumed_ = 0;
    }
    return;
  }
  if (!upstream_ || above == upstream_paused_) return;
  upstream_paused_ = above;
  upstream_->readDisable(above);
}

void ProxyStream::reset() {
  mirrors_.clear();  // the request will not complete: no copy of a partial body
  if (chain_ && !response_complete_) chain_->onReset();
  held_.reset();
  done_ = true;
  stream_timer_.disable();
  downstream_paused_ = false;  // the downstream is going away: nothing to resume
  endAttempt();
}

void ProxyStream::fail(int status, std::string_view details) {
  if (done_) return;
  done_ = true;
  stream_timer_.disable();
  endAttempt();
  in_backoff_ = false;
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
void ProxyStream::localReplyThroughFilters(int status, std::string_view details) {
  http::ResponseHead head;
  std::string body = makeLocalReply(status, details, &head);
  response_started_ = true;
  chain_->encodeHead(std::move(head), http::BodyFraming::kContentLength, body.size());
  chain_->encodeData(body.data(), body.size());
  response_complete_ = true;
  chain_->encodeComplete(nullptr);
}

void ProxyStream::finishUpstream(bool reusable) {
  if (!upstream_) return;
  if (upstream_paused_) {
    upstream_->readDisable(false);
    upstream_paused_ = false;
  }
  bool live = ctx_.clusterManager().endpointLive(endpoint_->key);
  if (reusable && live && upstream_->open() && upstream_->input().empty() && upstream_->bufferedOut() == 0) {
    pool_->release(std::move(upstream_), cluster_->idle_timeout_ms);
    return;
  }
  upstream_->setCallbacks(nullptr);
  upstream_->close(net::Connection::CloseType::kNoFlush);
  pool_->onConnectionClosed();
  WorkerStats::dec(ctx_.stats().upstream_cx_active);
  ctx_.dispatcher().deferredDelete(std::move(upstream_));
}

void ProxyStream::onRead(net::Buffer& in) {
  touch();
  // A retry decided in a parser callback drops upstream_ (deferred): stop parsing then.
  while (!done_ && upstream_ && !in.empty()) {
    size_t n = parser_->execute(in.data(), in.size());
    in.drain(n);
    if (n == 0) break;
  }
  // Released only here, once the parser's bytes are drained, so leftovers are visible.
  if (response_complete_ && upstream_) {
    finishUpstream(upstream_keep_alive_ && request_complete_);
  }
}

void ProxyStream::onEvent(net::ConnectionEvent event) {
  if (event == net::ConnectionEvent::kConnected) {
    if (counted_pending_) ClusterState::dec(cluster_->state->pending_requests);
    counted_pending_ = false;
    attempt_timer_.disable();
    armPerTryTimeout();
    return;
  }
  if (done_) return;
  // The upstream closed. A close-delimited body ends here; anything else is a failure.
  if (upstream_ && upstream_->connectFailed()) {
    WorkerStats::inc(ctx_.stats().upstream_cx_connect_fail);
    reportUpstreamResult(ctx_, *cluster_, *endpoint_, UpstreamResult::connectFailure());
    return attemptFailed(Failure::kConnect, 502, "upstream_connect_failure");
  }
  if (response_started_ && parser_->finish() && response_complete_) return;
  if (retryStaleConnection()) return;
  reportUpstreamResult(ctx_, *cluster_, *endpoint_, UpstreamResult::reset());
  WorkerStats::inc(ctx_.stats().upstream_rq_reset);
  attemptFailed(Failure::kReset, 502, "upstream_reset_before_response_complete");
}

void ProxyStream::onAboveWriteHighWatermark() { pauseDownstream(true); }

void ProxyStream::onBelowWriteLowWatermark() {
  if (!in_backoff_) pauseDownstream(false);
}

void ProxyStream::onResponseHead(http::ResponseHead&& head, http::BodyFraming framing, uint64_t length) {
  if (head.status < 200 && head.status != 101) {
    // 100 Continue was ours to send (see start()); other 1xx go through.
    if (head.status != 100) sink_.sendInterim(head);
    return;
  }
  reportUpstreamResult(ctx_, *cluster_, *endpoint_, UpstreamResult::response(head.status));
  if (route_.retry.retry_on != 0 && route_.retry.retriesStatus(head.status) &&
      retryAttempt(Failure::kStatus, head.status)) {
    return;
  }
  upstream_keep_alive_ = head.keep_alive;
  forwardResponseHead(std::move(head), framing, length);
}

void ProxyStream::forwardResponseHead(http::ResponseHead&& head, http::BodyFraming framing, uint64_t length) {
  response_started_ = true;
  attempt_timer_.disable();  // the per-try timeout ends with the response head
  touch();
  stripHopByHop(head.headers, /*keep_te_trailers=*/false);
  route_.response_headers.apply(head.headers, headerVars());
  if (chain_) return chain_->encodeHead(std::move(head), framing, length);
  sink_.sendHeaders(std::move(head), framing, length);
}

void ProxyStream::emitBody(const char* data, size_t len) {
  if (chain_) return chain_->encodeData(data, len);
  sink_.sendBody(data, len);
}

void ProxyStream::emitComplete(const http::HeaderMap* trailers) {
  if (chain_) return chain_->encodeComplete(trailers);
  sink_.sendComplete(trailers);
}

// Parser events of a response whose head was not forwarded belong to an attempt abandoned
// for a retry (the parser finishes the bytes it was given): dropped.
void ProxyStream::onBody(const char* data, size_t len) {
  if (!done_ && response_started_) emitBody(data, len);
}

void ProxyStream::onTrailers(http::HeaderMap&& trailers) {
  if (response_started_) trailers_ = std::move(trailers);
}

void ProxyStream::onMessageComplete() {
  if (done_ || !response_started_) return;
  done_ = true;
  response_complete_ = true;
  stream_timer_.disable();
  attempt_timer_.disable();
  releaseAttemptCounters();
  // The connection goes back to the pool (or closes) at the end of onRead: it is reusable
  // only if the request was fully sent and both sides keep it alive.
  emitComplete(trailers_.size() ? &trailers_ : nullptr);
}

void ProxyStream::onError(const http::ParseError& error) {
  (void)error;
  if (!upstream_) return;  // an abandoned attempt's parser
  reportUpstreamResult(ctx_, *cluster_, *endpoint_, UpstreamResult::reset());
  attemptFailed(Failure::kReset, 502, "upstream_protocol_error");
}

void ProxyStream::onUpstreamHead(http::ResponseHead&& head, bool end_stream) {
  if (head.status < 200) {
    if (head.status != 100) sink_.sendInterim(head);
    return;
  }
  reportUpstreamResult(ctx_, *cluster_, *endpoint_, UpstreamResult::response(head.status));
  if (route_.retry.retry_on != 0 && route_.retry.retriesStatus(head.status) &&
      retryAttempt(Failure::kStatus, head.status)) {
    return;
  }
  http::BodyFraming framing;
  uint64_t length;
  framingFromHead(head, end_stream, &framing, &length);
  forwardResponseHead(std::move(head), framing, length);
}

void ProxyStream::onUpstreamData(const char* data, size_t len) {
  if (done_) return h2_stream_.consume(len);
  touch();
  emitBody(data, len);
  if (upstream_paused_) h2_unconsumed_ += len;
  else h2_stream_.consume(len);
}

void ProxyStream::onUpstreamTrailers(http::HeaderMap&& trailers) { trailers_ = std::move(trailers); }

void ProxyStream::onUpstreamEnd() {
  if (h2_unconsumed_ > 0) h2_stream_.consume(h2_unconsumed_);  // the connection window
  h2_unconsumed_ = 0;
  h2_stream_.conn = nullptr;
  if (done_) return;
  done_ = true;
  response_complete_ = true;
  stream_timer_.disable();
  attempt_timer_.disable();
  releaseAttemptCounters();
  pauseDownstream(false);
  emitComplete(trailers_.size() ? &trailers_ : nullptr);
}

void ProxyStream::onUpstreamReset(bool retryable, std::string_view reason) {
  h2_stream_.conn = nullptr;
  if (done_) return;
  // Never processed by the server (GOAWAY, REFUSED_STREAM, connect failure): safe to send
  // again, once, without counting as a retry, if what the client sent can be replayed.
  if (retryable && !response_started_ && !free_retry_used_ && canReplay()) {
    free_retry_used_ = true;
    free_retries_++;
    endAttempt();
    scheduleAttempt(0);
    return;
  }
  reportUpstreamResult(ctx_, *cluster_, *endpoint_, UpstreamResult::afterReset(reason));
  WorkerStats::inc(ctx_.stats().upstream_rq_reset);
  bool connect = reason == "upstream_connect_failure";
  attemptFailed(connect ? Failure::kConnect : Failure::kReset, connect ? 503 : 502, reason);
}

void ProxyStream::onUpstreamRequestDrained() {
  if (!in_backoff_) pauseDownstream(false);
}

// A gRPC caller gets a gRPC error, not an HTTP error page: a trailers-only response
// (HTTP 200, grpc-status in the headers, no body).
void ProxyStream::sendGrpcError(int http_status, std::string_view details) {
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

// grpc-timeout: 1 to 8 digits and a unit (H M S m u n). -1 when malformed.
int64_t ProxyStream::grpcTimeoutMs(const std::string& value) {
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
