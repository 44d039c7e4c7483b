#include "sidecar/proxy/proxy_stream.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "sidecar/proxy/header_utils.h"

namespace strait::proxy {

ProxyStream::ProxyStream(WorkerContext& ctx, StreamSink& sink, SnapshotPtr snapshot,
                         const CompiledRoute& route)
    : ctx_(ctx), sink_(sink), snapshot_(std::move(snapshot)), route_(route),
      parser_(http::H1Parser::Mode::kResponse, this),
      timeout_timer_(ctx.dispatcher(), [this] { onTimeout(); }) {}

ProxyStream::~ProxyStream() {
  h2_stream_.cancel();
  if (counted_active_) {
    ctx_.clusterManager().activeRequests(cluster_->name)--;
    endpoint_->state->active_requests.fetch_sub(1, std::memory_order_relaxed);
  }
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
  const std::string& name = route_.pickCluster(ctx_.random());
  auto it = snapshot_->clusters.find(name);
  if (it == snapshot_->clusters.end()) return fail(503, "cluster_not_found");
  cluster_ = it->second;
  uint32_t& active = ctx_.clusterManager().activeRequests(cluster_->name);
  if (active >= cluster_->max_requests) return fail(503, "overflow_max_requests");
  LbContext lb{ctx_.dispatcher().nowMs(), requestHash(cluster_->hash_policy, head, info.client_ip)};
  int index = ctx_.clusterManager().loadBalancer(cluster_).pick(lb);
  if (index < 0) return fail(503, "no_healthy_upstream");
  active++;
  counted_active_ = true;
  endpoint_ = &cluster_->endpoints[index];
  endpoint_->state->active_requests.fetch_add(1, std::memory_order_relaxed);
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
  if (cluster_->http2) {
    WorkerStats::inc(ctx_.stats().upstream_rq_total);
    buildUpstreamHead(head, info);
    h2_head_ = std::move(head);
    if (!startH2()) fail(503, "upstream_overflow_or_socket_failure");
    return;
  }
  pool_ = &ctx_.clusterManager().pool(*endpoint_);
  if (pool_->total() >= cluster_->max_connections && pool_->idleCount() == 0) {
    return fail(503, "overflow_max_connections");
  }
  WorkerStats::inc(ctx_.stats().upstream_rq_total);
  parser_.expectHeadResponse(head.method == "HEAD");
  buildUpstreamHead(head, info);
  http::encodeRequestHead(head, &upstream_head_);
  if (!connectAndSend(/*fresh=*/false)) return fail(503, "upstream_socket_failure");
  // Bodyless requests keep their head so a stale pooled connection can be retried.
  if (request_framing_ != http::BodyFraming::kNone) upstream_head_.clear();
}

bool ProxyStream::connectAndSend(bool fresh) {
  upstream_ = pool_->acquire(&reused_, fresh);
  if (!upstream_) return false;
  upstream_->setCallbacks(this);
  upstream_->write(upstream_head_);
  if (reused_) {
    armResponseTimeout();
  } else {
    timeout_timer_.enableMs(deadline_from_start_ ? std::min(timeout_ms_, cluster_->connect_timeout_ms)
                                                 : cluster_->connect_timeout_ms);
  }
  return true;
}

// The route timeout counts from the end of the request (as in Envoy), so a long upload is
// not cut by it; a gRPC deadline counts from the start of the call.
void ProxyStream::armResponseTimeout() {
  if (deadline_from_start_ || request_complete_) {
    timeout_timer_.enableMs(timeout_ms_);
  } else {
    timeout_timer_.disable();
  }
}

bool ProxyStream::startH2() {
  H2UpstreamPool& pool = ctx_.clusterManager().h2Pool(*endpoint_);
  bool end_stream = request_framing_ == http::BodyFraming::kNone || (request_complete_ && !h2_body_sent_);
  if (!pool.newStream(h2_head_, end_stream, this, cluster_->max_connections, &h2_stream_)) return false;
  armResponseTimeout();
  return true;
}

// A pooled connection the upstream had already closed fails before any response byte; for a
// bodyless request that is safe to send again, once, on a new connection.
bool ProxyStream::retryStaleConnection() {
  if (!reused_ || retried_ || response_started_ || parser_.inMessage() || upstream_head_.empty()) {
    return false;
  }
  retried_ = true;
  finishUpstream(false);
  return connectAndSend(/*fresh=*/true);
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
  if (route_.has_prefix_rewrite && route_.path_kind == CompiledRoute::PathKind::kPrefix) {
    std::string rest = head.target.substr(route_.path.size());
    head.target = route_.prefix_rewrite + rest;
    if (head.target.empty() || head.target[0] != '/') head.target.insert(0, "/");
  }
  applyHeaders(route_.request_headers, h);
}

void ProxyStream::onRequestBody(const char* data, size_t len) {
  if (done_ || len == 0) return;
  if (h2_stream_.conn) {
    h2_body_sent_ = true;
    h2_stream_.sendData(data, len);
    if (!downstream_paused_ && h2_stream_.queued() > net::Connection::kHighWatermark) {
      downstream_paused_ = true;
      sink_.readDisableDownstream(true);
    }
    return;
  }
  if (!upstream_) return;
  if (request_framing_ == http::BodyFraming::kChunked) {
    std::string chunk;
    http::encodeChunk(data, len, &chunk);
    upstream_->write(chunk);
  } else {
    upstream_->write(std::string_view(data, len));
  }
}

void ProxyStream::onRequestComplete() {
  request_complete_ = true;
  if (done_) return;
  if (!deadline_from_start_ && (h2_stream_.conn || (upstream_ && !upstream_->connecting()))) {
    timeout_timer_.enableMs(timeout_ms_);
  }
  if (h2_stream_.conn) return h2_stream_.end(nullptr);
  if (!upstream_) return;
  if (request_framing_ == http::BodyFraming::kChunked) {
    std::string last;
    http::encodeLastChunk(nullptr, &last);
    upstream_->write(last);
  }
}

void ProxyStream::onDownstreamWatermark(bool above) {
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
  done_ = true;
  h2_stream_.cancel();
  timeout_timer_.disable();
  downstream_paused_ = false;  // the downstream is going away: nothing to resume
  finishUpstream(/*reusable=*/false);
}

void ProxyStream::fail(int status, std::string_view details) {
  if (done_) return;
  done_ = true;
  timeout_timer_.disable();
  finishUpstream(false);
  if (downstream_paused_) {
    downstream_paused_ = false;
    sink_.readDisableDownstream(false);
  }
  if (response_started_) return sink_.resetDownstream();
  if (is_grpc_) return sendGrpcError(status, details);
  sink_.sendLocalReply(status, details);
}

void ProxyStream::onTimeout() {
  WorkerStats::inc(ctx_.stats().upstream_rq_timeout);
  if (upstream_ && upstream_->connecting()) {
    WorkerStats::inc(ctx_.stats().upstream_cx_connect_fail);
    return fail(503, "upstream_connect_timeout");
  }
  fail(504, "upstream_response_timeout");
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
  while (!done_ && !in.empty()) {
    size_t n = parser_.execute(in.data(), in.size());
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
    armResponseTimeout();
    return;
  }
  if (done_) return;
  // The upstream closed. A close-delimited body ends here; anything else is a failure.
  if (upstream_ && upstream_->connectFailed()) {
    WorkerStats::inc(ctx_.stats().upstream_cx_connect_fail);
    return fail(502, "upstream_connect_failure");
  }
  if (response_started_ && parser_.finish() && response_complete_) return;
  if (retryStaleConnection()) return;
  WorkerStats::inc(ctx_.stats().upstream_rq_reset);
  fail(502, "upstream_reset_before_response_complete");
}

void ProxyStream::onAboveWriteHighWatermark() {
  if (downstream_paused_) return;
  downstream_paused_ = true;
  sink_.readDisableDownstream(true);
}

void ProxyStream::onBelowWriteLowWatermark() {
  if (!downstream_paused_) return;
  downstream_paused_ = false;
  sink_.readDisableDownstream(false);
}

void ProxyStream::onResponseHead(http::ResponseHead&& head, http::BodyFraming framing, uint64_t length) {
  if (head.status < 200 && head.status != 101) {
    sink_.sendInterim(head);
    return;
  }
  upstream_keep_alive_ = head.keep_alive;
  forwardResponseHead(std::move(head), framing, length);
}

void ProxyStream::forwardResponseHead(http::ResponseHead&& head, http::BodyFraming framing, uint64_t length) {
  response_started_ = true;
  stripHopByHop(head.headers, /*keep_te_trailers=*/false);
  applyHeaders(route_.response_headers, head.headers);
  sink_.sendHeaders(std::move(head), framing, length);
}

void ProxyStream::onBody(const char* data, size_t len) {
  if (!done_) sink_.sendBody(data, len);
}

void ProxyStream::onTrailers(http::HeaderMap&& trailers) { trailers_ = std::move(trailers); }

void ProxyStream::onMessageComplete() {
  if (done_) return;
  done_ = true;
  response_complete_ = true;
  timeout_timer_.disable();
  // The connection goes back to the pool (or closes) at the end of onRead: it is reusable
  // only if the request was fully sent and both sides keep it alive.
  sink_.sendComplete(trailers_.size() ? &trailers_ : nullptr);
}

void ProxyStream::onError(const http::ParseError& error) {
  (void)error;
  fail(502, "upstream_protocol_error");
}

void ProxyStream::onUpstreamHead(http::ResponseHead&& head, bool end_stream) {
  if (head.status < 200) return sink_.sendInterim(head);
  http::BodyFraming framing = http::BodyFraming::kChunked;
  uint64_t length = 0;
  if (end_stream) {
    framing = http::BodyFraming::kNone;
  } else if (const std::string* cl = head.headers.get("content-length")) {
    framing = http::BodyFraming::kContentLength;
    length = std::strtoull(cl->c_str(), nullptr, 10);
  }
  forwardResponseHead(std::move(head), framing, length);
}

void ProxyStream::onUpstreamData(const char* data, size_t len) {
  if (done_) return h2_stream_.consume(len);
  sink_.sendBody(data, len);
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
  timeout_timer_.disable();
  if (downstream_paused_) {
    downstream_paused_ = false;
    sink_.readDisableDownstream(false);
  }
  sink_.sendComplete(trailers_.size() ? &trailers_ : nullptr);
}

void ProxyStream::onUpstreamReset(bool retryable, std::string_view reason) {
  h2_stream_.conn = nullptr;
  if (done_) return;
  // Never processed by the server (GOAWAY, REFUSED_STREAM, connect failure) and nothing of
  // the body sent yet: safe to send again, once.
  if (retryable && !response_started_ && !h2_body_sent_ && !retried_) {
    retried_ = true;
    if (startH2()) return;
  }
  WorkerStats::inc(ctx_.stats().upstream_rq_reset);
  fail(reason == "upstream_connect_failure" ? 503 : 502, reason);
}

void ProxyStream::onUpstreamRequestDrained() {
  if (!downstream_paused_) return;
  downstream_paused_ = false;
  sink_.readDisableDownstream(false);
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
