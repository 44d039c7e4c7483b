#include "sidecar/session/downstream_session.h"

#include <algorithm>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "sidecar/router/header_utils.h"
#include "sidecar/router/request_router.h"

namespace strait::proxy {
namespace {
http::H1Limits limitsFor(const ListenerInfo* listener) {
  http::H1Limits limits;
  if (listener) limits.max_head_bytes = listener->max_request_headers_bytes;
  return limits;
}
const ListenerInfo* liveListener(WorkerContext& ctx, const std::string& name) {
  return ctx.snapshot() ? ctx.snapshot()->findListener(name) : nullptr;
}
}  // namespace

DownstreamSession::DownstreamSession(WorkerContext& ctx, int fd, std::string peer_ip,
                                     std::string listener_name, SessionOwner& owner,
                                     std::unique_ptr<net::TransportSocket> transport)
    : ctx_(ctx), conn_(std::make_unique<net::Connection>(ctx.dispatcher(), fd, false, std::move(transport))),
      peer_ip_(std::move(peer_ip)), listener_name_(std::move(listener_name)),
      owner_(owner),
      idle_timer_(ctx.dispatcher(), [this] { onIdleTimeout(); }) {
  conn_->setCallbacks(this);
  if (const ListenerInfo* l = liveListener(ctx_, listener_name_)) {
    idle_timeout_ms_ = static_cast<int32_t>(std::min<int64_t>(l->idle_timeout_ms, INT32_MAX));
    head_timeout_ms_ = static_cast<int32_t>(std::min<int64_t>(l->request_headers_timeout_ms, INT32_MAX));
  }
  last_activity_ms_ = ctx_.dispatcher().nowMs();
  idle_timer_.enableMs(idle_timeout_ms_);
  WorkerStats::inc(ctx_.stats().downstream_cx_total);
  WorkerStats::inc(ctx_.stats().downstream_cx_active);
}

DownstreamSession::~DownstreamSession() {
  WorkerStats::dec(ctx_.stats().downstream_cx_active);
  h2_.reset();  // before the connection it writes to
  if (stream_) ctx_.dispatcher().deferredDelete(std::move(stream_));
  if (conn_) ctx_.dispatcher().deferredDelete(std::move(conn_));
}

void DownstreamSession::drain() {
  draining_ = true;
  if (h2_) return h2_->drain();
  keep_alive_ = false;  // a response not yet started says connection: close
  if (!in_request_) closeGracefully();
}

void DownstreamSession::closeGracefully() {
  if (closed_ || lingering_) return;
  lingering_ = true;
  conn_->shutdownWrite();
  idle_timer_.enableMs(kLingerMs);
}

void DownstreamSession::onRead(net::Buffer& in) {
  if (lingering_) return in.drain(in.size());
  parseInput();
}

void DownstreamSession::onIdleTimeout() {
  if (lingering_) return closeConnection(net::Connection::CloseType::kNoFlush);
  if (head_started_) {  // a request head is arriving: its own deadline
    int64_t waited = ctx_.dispatcher().nowMs() - last_activity_ms_;
    if (waited < head_timeout_ms_) return idle_timer_.enableMs(head_timeout_ms_ - waited);
    return onHeadTimeout();
  }
  // The timer stays armed across requests and is checked lazily here (re-arming it per
  // request cost two timer-tree updates on the hot path).
  if (in_request_ || (h2_ && !h2_->idle())) return idle_timer_.enableMs(idle_timeout_ms_);
  int64_t idle_for = ctx_.dispatcher().nowMs() - last_activity_ms_;
  if (idle_for < idle_timeout_ms_) return idle_timer_.enableMs(idle_timeout_ms_ - idle_for);
  closeConnection(net::Connection::CloseType::kNoFlush);
}

// The head did not arrive in time: 408 for an HTTP/1.1 request; a connection whose protocol
// is not known yet (a partial HTTP/2 preface) is just closed.
void DownstreamSession::onHeadTimeout() {
  head_started_ = false;
  WorkerStats::inc(ctx_.stats().downstream_rq_header_timeout);
  if (!protocol_detected_) return closeConnection(net::Connection::CloseType::kNoFlush);
  WorkerStats::inc(ctx_.stats().downstream_rq_total);
  keep_alive_ = false;
  in_request_ = true;
  request_complete_ = true;
  response_complete_ = false;
  sendLocalReply(408, "request_header_timeout");
}

// The HTTP/2 client connection preface (RFC 9113 3.4): h2c with prior knowledge.
constexpr std::string_view kH2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

// Decides the protocol from the first bytes of the connection. False: wait for more.
bool DownstreamSession::detectProtocol(net::Buffer& in) {
  if (conn_->alpn() == "h2") {  // TLS with ALPN: no preface sniffing needed
    protocol_detected_ = true;
    h2_ = std::make_unique<H2Downstream>(ctx_, *conn_, *this, listener_name_, peer_ip_);
    return true;
  }
  size_t n = std::min(in.size(), kH2Preface.size());
  if (in.view().substr(0, n) != kH2Preface.substr(0, n)) {
    protocol_detected_ = true;  // HTTP/1.1
    return true;
  }
  if (n < kH2Preface.size()) return false;
  protocol_detected_ = true;
  h2_ = std::make_unique<H2Downstream>(ctx_, *conn_, *this, listener_name_, peer_ip_);
  return true;
}

void DownstreamSession::parseInput() {
  net::Buffer& in = conn_->input();
  if (!head_started_ && !in_request_ && !h2_ && !in.empty()) {
    head_started_ = true;  // the head's clock starts at its first byte
    last_activity_ms_ = ctx_.dispatcher().nowMs();
  }
  if (!protocol_detected_ && !detectProtocol(in)) return armHeadTimer();
  if (h2_) {
    head_started_ = false;  // HTTP/2 streams have their own limits
    last_activity_ms_ = ctx_.dispatcher().nowMs();
    if (!h2_->onRead(in)) closeGracefully();
    return;
  }
  if (!parser_ && !in.empty()) {
    parser_ = std::make_unique<http::H1Parser>(http::H1Parser::Mode::kRequest, this,
                                               limitsFor(liveListener(ctx_, listener_name_)));
  }
  while (!closed_ && !in.empty() && !parser_->failed() && !(in_request_ && request_complete_)) {
    size_t n = parser_->execute(in.data(), in.size());
    in.drain(n);
    if (n == 0) break;
  }
  armHeadTimer();
  // Pipelined bytes wait until the current response is done; stop reading meanwhile.
  if (!closed_ && in_request_ && request_complete_ && !in.empty() && !reads_paused_for_pipeline_) {
    reads_paused_for_pipeline_ = true;
    conn_->readDisable(true);
  }
}

void DownstreamSession::onRequestHead(http::StreamId, http::RequestHead&& head, http::BodyFraming framing, uint64_t length) {
  in_request_ = true;
  head_started_ = false;
  request_complete_ = response_complete_ = false;
  chunked_response_ = false;
  WorkerStats::inc(ctx_.stats().downstream_rq_total);
  keep_alive_ = head.keep_alive && !draining_;
  request_bodyless_ = framing == http::BodyFraming::kNone ||
                      (framing == http::BodyFraming::kContentLength && length == 0);
  head_request_ = head.method == "HEAD";
  request_version_minor_ = head.version_minor;
  const SnapshotPtr& snapshot = ctx_.snapshot();
  const ListenerInfo* listener = snapshot ? snapshot->findListener(listener_name_) : nullptr;
  if (listener == nullptr) {
    keep_alive_ = false;
    return sendLocalReply(503, "listener_draining");
  }
  std::string client = trustedClientAddress(head.headers, peer_ip_, listener->xff_trusted_hops);
  RouteResult routed = routeRequest(*listener, head, conn_->peerIdentity(), client);
  if (routed.route == nullptr) return sendLocalReply(routed.local_status, routed.details);
  stream_ = std::make_unique<RouterStream>(ctx_, *this, snapshot, *routed.route);
  http::StreamInfo& si = stream_->mutableStreamInfo();
  si.client_ip = std::move(client);
  si.downstream_address = peer_ip_;
  si.protocol = head.version_minor == 0 ? "HTTP/1.0" : "HTTP/1.1";
  si.peer_identity = conn_->peerIdentity();
  si.start_ms = ctx_.dispatcher().nowMs();
  RequestInfo info = requestInfo(*listener, conn_->secure());
  stream_->start(std::move(head), framing, length, info);
}

void DownstreamSession::onBody(http::StreamId, const char* data, size_t len) {
  if (stream_ && !response_complete_) stream_->onRequestBody(data, len);
}

void DownstreamSession::onTrailers(http::StreamId, http::HeaderMap&& trailers) {
  if (stream_ && !response_complete_) stream_->onRequestTrailers(std::move(trailers));
}

void DownstreamSession::onMessageComplete(http::StreamId) {
  request_complete_ = true;
  if (stream_ && !response_complete_) stream_->onRequestComplete();
  if (response_complete_) finishExchange();
}

// A head still incomplete after this read: the timer fires at its deadline (only then; a
// head that arrives whole in one read never touches the timer).
void DownstreamSession::armHeadTimer() {
  if (!head_started_ || in_request_ || closed_ || lingering_) return;
  int64_t left = last_activity_ms_ + head_timeout_ms_ - ctx_.dispatcher().nowMs();
  idle_timer_.enableMs(left > 0 ? left : 0);
}

void DownstreamSession::onError(http::StreamId, const http::ParseError& error) {
  WorkerStats::inc(ctx_.stats().downstream_rq_bad_request);
  keep_alive_ = false;
  if (stream_ && stream_->responseStarted()) return resetDownstream();
  if (stream_) stream_->reset();
  if (!in_request_) WorkerStats::inc(ctx_.stats().downstream_rq_total);
  in_request_ = true;
  request_complete_ = true;
  response_complete_ = false;
  sendLocalReply(error.status, error.reason);
}

void DownstreamSession::sendHeaders(http::ResponseHead&& head, http::BodyFraming framing, uint64_t length) {
  (void)length;
  countResponse(head.status);
  bool has_body = framing == http::BodyFraming::kChunked || framing == http::BodyFraming::kUntilClose;
  if (has_body && !head_request_) {
    if (request_version_minor_ >= 1) {
      head.headers.add("transfer-encoding", "chunked");
      chunked_response_ = true;
    } else {
      keep_alive_ = false;  // HTTP/1.0 client: the body ends with the connection
    }
  }
  // A response that starts while the request body is still arriving ends the connection (the
  // rest of the body cannot be told apart from a next request cheaply): say so up front.
  if (requestBodyPending()) keep_alive_ = false;
  if (!keep_alive_) head.headers.set("connection", "close");
  else if (request_version_minor_ == 0) head.headers.set("connection", "keep-alive");
  head.version_minor = 1;
  std::string out;
  http::encodeResponseHead(head, &out);
  conn_->write(out);
}

void DownstreamSession::sendInterim(const http::ResponseHead& head) {
  if (request_version_minor_ < 1) return;
  std::string out;
  http::encodeResponseHead(head, &out);
  conn_->write(out);
}

void DownstreamSession::sendBody(const char* data, size_t len) {
  if (len == 0 || closed_) return;
  if (chunked_response_) {
    std::string chunk;
    http::encodeChunk(data, len, &chunk);
    conn_->write(chunk);
  } else {
    conn_->write(std::string_view(data, len));
  }
}

void DownstreamSession::sendComplete(const http::HeaderMap* trailers) {
  if (chunked_response_) {
    std::string last;
    http::encodeLastChunk(trailers, &last);
    conn_->write(last);
  }
  onResponseDone();
}

void DownstreamSession::sendLocalReply(int status, std::string_view details) {
  countResponse(status);
  http::ResponseHead head;
  std::string body = makeLocalReply(status, details, &head);
  if (requestBodyPending()) keep_alive_ = false;  // as in sendHeaders
  if (!keep_alive_ || draining_) head.headers.add("connection", "close");
  std::string out;
  http::encodeResponseHead(head, &out);
  if (!head_request_) out += body;
  conn_->write(out);
  onResponseDone();
}

void DownstreamSession::onResponseDone() {
  response_complete_ = true;
  if (request_complete_) return finishExchange();
  // A response made while the head was delivered (a cache hit, a filter's reply) to a request
  // without a body: the parser's message-complete follows within the same parse, and
  // onMessageComplete finishes the exchange on a kept-alive connection.
  if (!requestBodyPending()) return;
  // The response finished before the request body: sendHeaders/sendLocalReply already
  // announced connection: close; the connection ends after this response.
  keep_alive_ = false;
  finishExchange();
}

void DownstreamSession::finishExchange() {
  // Runs deferred: we may be inside the parser's or the stream's callbacks.
  ctx_.dispatcher().deferred([this] {
    if (closed_ || !in_request_) return;
    in_request_ = false;
    if (stream_) ctx_.dispatcher().deferredDelete(std::move(stream_));
    if (!keep_alive_ || draining_) return closeGracefully();
    // An idle keep-alive connection keeps no parser: idle memory stays small (see bench/).
    parser_.reset();
    last_activity_ms_ = ctx_.dispatcher().nowMs();
    if (reads_paused_for_pipeline_) {
      reads_paused_for_pipeline_ = false;
      conn_->readDisable(false);
    }
    parseInput();
  });
}

void DownstreamSession::resetDownstream() { closeConnection(net::Connection::CloseType::kNoFlush); }

void DownstreamSession::readDisableDownstream(bool disable) {
  if (!closed_) conn_->readDisable(disable);
}

void DownstreamSession::closeConnection(net::Connection::CloseType type) {
  if (closed_) return;
  conn_->close(type);  // kLocalClose arrives now, or after the flush
}

void DownstreamSession::onEvent(net::ConnectionEvent event) {
  if (event == net::ConnectionEvent::kConnected || closed_) return;
  closed_ = true;
  idle_timer_.disable();
  if (stream_) stream_->reset();
  if (h2_) h2_->onClose();
  owner_.onSessionClosed(this);
}

void DownstreamSession::onAboveWriteHighWatermark() {
  if (h2_) h2_->onDownstreamWatermark(true);
  if (stream_) stream_->onDownstreamWatermark(true);
}

void DownstreamSession::onBelowWriteLowWatermark() {
  if (h2_) h2_->onDownstreamWatermark(false);
  if (stream_) stream_->onDownstreamWatermark(false);
}

void DownstreamSession::countResponse(int status) {
  int cls = status / 100;
  if (cls >= 1 && cls <= 5) WorkerStats::inc(ctx_.stats().downstream_rq_by_class[cls]);
}

}  // namespace strait::proxy
