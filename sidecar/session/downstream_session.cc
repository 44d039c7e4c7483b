#include "sidecar/session/downstream_session.h"

#include <algorithm>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "sidecar/core/overload.h"
#include "sidecar/router/header_utils.h"
#include "sidecar/router/request_log.h"
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

struct DownstreamSession::Interception {
  net::Address original_dst;
  std::unique_ptr<TcpRelay> relay;  // the connection is relayed as bytes (not HTTP)
};

const net::Address* DownstreamSession::originalDst() const {
  return intercept_ ? &intercept_->original_dst : nullptr;
}

// A slow client's state, judged when the session's timer fires (no work per byte beyond a
// counter). Settings are taken from the listener when the watch starts.
struct DownstreamSession::SlowClientWatch {
  // send_timeout: response bytes wait for the client and its upstreams are paused, so the
  // bytes waiting only shrink if the client takes some; at each check they must have.
  bool output = false;
  int64_t output_check_ms = 0;
  size_t output_pending = 0;  // bytes waiting at the last check
  int64_t send_timeout_ms = 60000;
  // request_body_min_rate: judged at the end of each window.
  bool body = false;
  int64_t body_window_end_ms = 0;
  uint64_t body_bytes = 0;  // HTTP/1.1: received in this window; HTTP/2: the connection's total at its start
  uint64_t body_min_bytes = 2400;  // per window
  int64_t body_window_ms = 10000;
};

DownstreamSession::DownstreamSession(WorkerContext& ctx, int fd, std::string peer_ip,
                                     std::string listener_name, SessionOwner& owner,
                                     std::unique_ptr<net::TransportSocket> transport,
                                     std::unique_ptr<net::Address> original_dst)
    : ctx_(ctx), conn_(std::make_unique<net::Connection>(ctx.dispatcher(), fd, false, std::move(transport))),
      peer_ip_(std::move(peer_ip)), listener_name_(std::move(listener_name)),
      owner_(owner),
      idle_timer_(ctx.dispatcher(), [this] { onTimer(); }),
      protocol_detected_(false), in_request_(false), request_complete_(false), request_bodyless_(false),
      response_complete_(false), keep_alive_(true), chunked_response_(false), head_request_(false),
      draining_(false), closed_(false), lingering_(false), reads_paused_for_pipeline_(false),
      head_started_(false), body_held_back_(false), request_body_sized_(false) {
  conn_->setCallbacks(this);
  if (original_dst) intercept_ = std::make_unique<Interception>(Interception{*original_dst, nullptr});
  last_activity_ms_ = ctx_.dispatcher().nowMs();  // until the first byte: the accept time
  idle_timer_.enableMs(idleTimeoutMs());
  if (intercept_) {
    const ListenerInfo* l = liveListener(ctx_, listener_name_);
    if (l != nullptr && l->passthrough_tcp) armAt(last_activity_ms_ + l->protocol_detection_timeout_ms);
  }
  WorkerStats::inc(ctx_.stats().downstream_cx_total);
  WorkerStats::inc(ctx_.stats().downstream_cx_active);
}

DownstreamSession::~DownstreamSession() {
  WorkerStats::dec(ctx_.stats().downstream_cx_active);
  intercept_.reset();  // the relay, before the connection it writes to
  h2_.reset();  // before the connection it writes to
  if (stream_) ctx_.dispatcher().deferredDelete(std::move(stream_));
  if (conn_) ctx_.dispatcher().deferredDelete(std::move(conn_));
}

void DownstreamSession::onAccepted() {
  if (!intercept_) return;
  const ListenerInfo* l = liveListener(ctx_, listener_name_);
  if (l == nullptr) return;
  uint16_t port = intercept_->original_dst.port();
  if (std::find(l->tcp_ports.begin(), l->tcp_ports.end(), port) != l->tcp_ports.end()) {
    protocol_detected_ = true;  // TCP by port: relayed to where it was going
    intercept_->relay = std::make_unique<TcpRelay>(ctx_, *conn_, *this);
    net::Buffer none;
    if (!intercept_->relay->start(intercept_->original_dst, none)) closeConnection(net::Connection::CloseType::kNoFlush);
    return;
  }
  const TcpRoute* route = l->tcpRouteFor(intercept_->original_dst);
  if (route == nullptr) return;
  protocol_detected_ = true;  // TCP by destination: nothing is looked for
  intercept_->relay = std::make_unique<TcpRelay>(ctx_, *conn_, *this);
  if (!intercept_->relay->startToCluster(route->cluster)) closeConnection(net::Connection::CloseType::kNoFlush);
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
  if (intercept_ && intercept_->relay) return intercept_->relay->onDownstreamData(in);
  parseInput();
}

// The session's one timer: the lingering close's bound, the request head's deadline, the
// slow-client checks and the idle timeout, whichever is due first. It stays armed across
// requests and the idle timeout is checked lazily here (re-arming it per request cost two
// timer-tree updates on the hot path).
void DownstreamSession::onTimer() {
  if (lingering_) return closeConnection(net::Connection::CloseType::kNoFlush);
  int64_t now = ctx_.dispatcher().nowMs();
  int64_t next = INT64_MAX;
  if (watch_ && !checkSlowClient(now, &next)) return;
  if (intercept_ && !protocol_detected_ && !head_started_) {
    // An intercepted connection still silent: past the detection timeout, a protocol where
    // the server speaks first (passthrough_tcp listeners only).
    const ListenerInfo* l = liveListener(ctx_, listener_name_);
    if (l != nullptr && l->passthrough_tcp) {
      int64_t deadline = last_activity_ms_ + l->protocol_detection_timeout_ms;
      if (now >= deadline) {
        protocol_detected_ = true;
        net::Buffer none;
        if (!startRelay(none)) return closeConnection(net::Connection::CloseType::kNoFlush);
        return idle_timer_.enableMs(idleTimeoutMs());
      }
      next = std::min(next, deadline);
    }
  }
  if (head_started_) {  // a request head is arriving: its own deadline
    int64_t deadline = last_activity_ms_ + headTimeoutMs();
    if (now >= deadline) return onHeadTimeout();
    next = std::min(next, deadline);
  } else if (intercept_ && intercept_->relay) {
    // A relayed connection is idle when no byte went either way for the idle timeout.
    int64_t deadline = intercept_->relay->lastActivityMs() + idleTimeoutMs();
    if (now >= deadline) return closeConnection(net::Connection::CloseType::kNoFlush);
    next = std::min(next, deadline);
  } else if (in_request_ || (h2_ && !h2_->idle())) {
    next = std::min(next, now + idleTimeoutMs());
  } else {
    int64_t deadline = last_activity_ms_ + idleTimeoutMs();
    if (now >= deadline) return closeConnection(net::Connection::CloseType::kNoFlush);
    next = std::min(next, deadline);
  }
  idle_timer_.enableMs(next - now);
}

int64_t DownstreamSession::idleTimeoutMs() const {
  const ListenerInfo* l = liveListener(ctx_, listener_name_);
  return l ? l->idle_timeout_ms : ListenerInfo().idle_timeout_ms;
}

int64_t DownstreamSession::headTimeoutMs() const {
  const ListenerInfo* l = liveListener(ctx_, listener_name_);
  return l ? l->request_headers_timeout_ms : ListenerInfo().request_headers_timeout_ms;
}

// Moves the timer earlier, never later (onTimer works out what is due).
void DownstreamSession::armAt(int64_t deadline_ms) {
  if (idle_timer_.enabled() && idle_timer_.deadlineMs() <= deadline_ms) return;
  idle_timer_.enableMs(std::max<int64_t>(0, deadline_ms - ctx_.dispatcher().nowMs()));
}

DownstreamSession::SlowClientWatch& DownstreamSession::watch() {
  if (watch_) return *watch_;
  watch_ = std::make_unique<SlowClientWatch>();
  if (const ListenerInfo* l = liveListener(ctx_, listener_name_)) {
    watch_->send_timeout_ms = l->send_timeout_ms;
    watch_->body_window_ms = l->body_rate_window_ms;
    watch_->body_min_bytes = static_cast<uint64_t>(l->body_min_bytes_per_second) *
                             static_cast<uint64_t>(l->body_rate_window_ms) / 1000;
  }
  return *watch_;
}

bool DownstreamSession::outputBackedUp() const {
  return conn_->aboveHighWatermark() || (h2_ && h2_->connectionAbove());
}

bool DownstreamSession::awaitingBody() const {
  return h2_ ? h2_->awaitingBody() : in_request_ && request_body_sized_ && requestBodyPending();
}

size_t DownstreamSession::pendingOutput() const {
  return conn_->bufferedOut() + (h2_ ? h2_->queuedBytes() : 0);
}

void DownstreamSession::watchOutput() {
  if (closed_ || lingering_) return;
  SlowClientWatch& w = watch();
  if (w.output) return;
  w.output = true;
  w.output_pending = pendingOutput();
  w.output_check_ms = ctx_.dispatcher().nowMs() + w.send_timeout_ms;
  armAt(w.output_check_ms);
}

void DownstreamSession::startBodyWindow(int64_t now) {
  watch_->body_window_end_ms = now + watch_->body_window_ms;
  watch_->body_bytes = h2_ ? h2_->requestBodyBytes() : 0;
}

// Relays a connection that is not HTTP to its original destination (passthrough_tcp); false
// if the listener does not allow it or the connect cannot start.
bool DownstreamSession::startRelay(net::Buffer& in) {
  const ListenerInfo* l = liveListener(ctx_, listener_name_);
  if (l == nullptr || !l->passthrough_tcp) {
    WorkerStats::inc(ctx_.stats().downstream_cx_not_http);
    return false;
  }
  intercept_->relay = std::make_unique<TcpRelay>(ctx_, *conn_, *this);
  return intercept_->relay->start(intercept_->original_dst, in);
}

// After a read that left a request body unfinished.
void DownstreamSession::watchBody() {
  if (closed_ || lingering_ || (watch_ && watch_->body)) return;
  SlowClientWatch& w = watch();
  if (w.body_min_bytes == 0) return;  // switched off
  w.body = true;
  startBodyWindow(ctx_.dispatcher().nowMs());
  armAt(w.body_window_end_ms);
}

// False when the session gave up on the client (closed, or answered it 408).
bool DownstreamSession::checkSlowClient(int64_t now, int64_t* next) {
  SlowClientWatch& w = *watch_;
  if (w.output && !outputBackedUp()) w.output = false;
  if (w.output && now >= w.output_check_ms) {
    size_t pending = pendingOutput();
    if (pending >= w.output_pending) {  // nothing taken since the last check
      WorkerStats::inc(ctx_.stats().downstream_cx_send_timeout);
      closeConnection(net::Connection::CloseType::kNoFlush);
      return false;
    }
    w.output_pending = pending;
    w.output_check_ms = now + w.send_timeout_ms;
  }
  if (w.output) *next = std::min(*next, w.output_check_ms);
  if (w.body && !awaitingBody()) w.body = false;
  if (w.body && now >= w.body_window_end_ms) {
    uint64_t got = h2_ ? h2_->requestBodyBytes() - w.body_bytes : w.body_bytes;
    bool held_back = h2_ ? h2_->bodiesHeldBack() : body_held_back_;
    if (!held_back && got < w.body_min_bytes) {
      onSlowBody();
      return false;
    }
    startBodyWindow(now);
  }
  if (w.body) *next = std::min(*next, w.body_window_end_ms);
  if (!w.output && !w.body) watch_.reset();
  return true;
}

// The request body came slower than request_body_min_rate.
void DownstreamSession::onSlowBody() {
  watch_.reset();
  if (h2_) {
    h2_->onSlowBody();  // counts per stream
    return;
  }
  WorkerStats::inc(ctx_.stats().downstream_rq_body_timeout);
  keep_alive_ = false;
  if (stream_ && stream_->responseStarted()) return resetDownstream();
  if (stream_) stream_->reset();
  request_complete_ = true;  // nothing more of it is read
  sendLocalReply(408, "request_body_timeout");
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
  if (const ListenerInfo* l = liveListener(ctx_, listener_name_)) {
    logLocalReply(ctx_, *l, nullptr, peer_ip_, "HTTP/1.1", conn_->peerIdentity(), 408,
                  http::ResponseFlag::kRequestTimeout, "request_header_timeout");
  }
  sendLocalReply(408, "request_header_timeout");
}

// The HTTP/2 client connection preface (RFC 9113 3.4): h2c with prior knowledge.
constexpr std::string_view kH2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

// Decides the protocol from the first bytes of the connection. False: wait for more.
bool DownstreamSession::detectProtocol(net::Buffer& in) {
  if (conn_->alpn() == "h2") {  // TLS with ALPN: no preface sniffing needed
    protocol_detected_ = true;
    h2_ = std::make_unique<H2Downstream>(ctx_, *conn_, *this, listener_name_, peer_ip_, originalDst());
    return true;
  }
  size_t n = std::min(in.size(), kH2Preface.size());
  if (in.view().substr(0, n) != kH2Preface.substr(0, n)) {
    if (intercept_) {
      // An intercepted connection may carry anything: HTTP/1.x starts with a method (upper
      // case letters) and a space; whatever else (a TLS ClientHello, a database protocol)
      // is relayed as bytes, or refused.
      std::string_view v = in.view().substr(0, 24);
      size_t letters = 0;
      while (letters < v.size() && v[letters] >= 'A' && v[letters] <= 'Z') letters++;
      if (letters == v.size() && v.size() < 24) return false;  // wait for more
      if (letters == 0 || letters == v.size() || v[letters] != ' ') {
        protocol_detected_ = true;
        head_started_ = false;
        if (!startRelay(in)) closeConnection(net::Connection::CloseType::kNoFlush);
        return false;
      }
    }
    protocol_detected_ = true;  // HTTP/1.1
    return true;
  }
  if (n < kH2Preface.size()) return false;
  protocol_detected_ = true;
  h2_ = std::make_unique<H2Downstream>(ctx_, *conn_, *this, listener_name_, peer_ip_, originalDst());
  return true;
}

void DownstreamSession::parseInput() {
  net::Buffer& in = conn_->input();
  if (!head_started_ && !in_request_ && !h2_ && !in.empty()) {
    head_started_ = true;  // the head's clock starts at its first byte
    last_activity_ms_ = ctx_.dispatcher().nowMs();
  }
  if (!protocol_detected_ && !detectProtocol(in)) return armHeadTimer();
  if (intercept_ && intercept_->relay) return;  // relayed from now on (or closed)
  if (h2_) {
    head_started_ = false;  // HTTP/2 streams have their own limits
    last_activity_ms_ = ctx_.dispatcher().nowMs();
    if (!h2_->onRead(in)) return closeGracefully();
    if (h2_->awaitingBody()) watchBody();
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
  if (awaitingBody() && !closed_) watchBody();
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
  request_body_sized_ = framing == http::BodyFraming::kContentLength;
  head_request_ = head.method == "HEAD";
  request_version_minor_ = head.version_minor;
  const SnapshotPtr& snapshot = ctx_.snapshot();
  const ListenerInfo* listener = snapshot ? snapshot->findListener(listener_name_) : nullptr;
  if (listener == nullptr) {
    keep_alive_ = false;
    return sendLocalReply(503, "listener_draining");
  }
  std::string_view protocol = head.version_minor == 0 ? "HTTP/1.0" : "HTTP/1.1";
  if (OverloadState::global().refuseRequests()) {
    OverloadState::global().countRefusedRequest();
    keep_alive_ = false;
    logLocalReply(ctx_, *listener, &head, peer_ip_, protocol, conn_->peerIdentity(), 503,
                  http::ResponseFlag::kOverloaded, "overloaded");
    return sendLocalReply(503, "overloaded");
  }
  std::string client = trustedClientAddress(head.headers, peer_ip_, listener->xff_trusted_hops);
  uint32_t port = intercept_ ? intercept_->original_dst.port() : listener->socket ? listener->socket->address().port() : 0;
  RouteResult routed = routeRequest(*listener, head, conn_->peerIdentity(), client, port);
  if (routed.route == nullptr) {
    logLocalReply(ctx_, *listener, &head, peer_ip_, protocol, conn_->peerIdentity(), routed.local_status,
                  routingFailureFlag(routed.local_status), routed.details);
    return sendLocalReply(routed.local_status, routed.details);
  }
  stream_ = std::make_unique<RouterStream>(ctx_, *this, snapshot, *routed.route);
  stream_->setListener(listener);
  initStreamInfo(ctx_, *listener, head, std::move(client), peer_ip_, protocol, conn_->peerIdentity(),
                 &stream_->mutableStreamInfo());
  RequestInfo info = requestInfo(*listener, conn_->secure());
  info.original_dst = originalDst();
  stream_->start(std::move(head), framing, length, info);
}

void DownstreamSession::onBody(http::StreamId, const char* data, size_t len) {
  if (watch_ && watch_->body) watch_->body_bytes += len;
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
  armAt(last_activity_ms_ + headTimeoutMs());
}

void DownstreamSession::onError(http::StreamId, const http::ParseError& error) {
  WorkerStats::inc(ctx_.stats().downstream_rq_bad_request);
  if (const ListenerInfo* l = liveListener(ctx_, listener_name_); l != nullptr && !stream_) {
    logLocalReply(ctx_, *l, nullptr, peer_ip_, "HTTP/1.1", conn_->peerIdentity(), error.status,
                  http::ResponseFlag::kBadRequest, error.reason);
  }
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
  if (closed_) return;
  conn_->readDisable(disable);
  body_held_back_ = disable;
  // The client could not send while held back: its body rate is judged afresh.
  if (!disable && watch_ && watch_->body) startBodyWindow(ctx_.dispatcher().nowMs());
}

void DownstreamSession::closeConnection(net::Connection::CloseType type) {
  if (closed_) return;
  conn_->close(type);  // kLocalClose arrives now, or after the flush
}

void DownstreamSession::onEvent(net::ConnectionEvent event) {
  if (event == net::ConnectionEvent::kConnected || closed_) return;
  if (event == net::ConnectionEvent::kReadClosed) {  // only relays enable half-close
    if (intercept_ && intercept_->relay) intercept_->relay->onDownstreamReadClosed();
    return;
  }
  closed_ = true;
  idle_timer_.disable();
  if (stream_) stream_->reset();
  if (h2_) h2_->onClose();
  if (intercept_ && intercept_->relay) intercept_->relay->onDownstreamClosed();
  owner_.onSessionClosed(this);
}

void DownstreamSession::onAboveWriteHighWatermark() {
  if (intercept_ && intercept_->relay) return intercept_->relay->onDownstreamWatermark(true);
  if (h2_) h2_->onDownstreamWatermark(true);
  if (stream_) stream_->onDownstreamWatermark(true);
  watchOutput();
}

void DownstreamSession::onBelowWriteLowWatermark() {
  if (intercept_ && intercept_->relay) return intercept_->relay->onDownstreamWatermark(false);
  if (h2_) h2_->onDownstreamWatermark(false);
  if (stream_) stream_->onDownstreamWatermark(false);
}

void DownstreamSession::onServerHandshake(bool ok, const std::string& failure) {
  const ListenerInfo* l = liveListener(ctx_, listener_name_);
  if (l == nullptr || !l->socket) return;
  if (ok) l->socket->counters().tls_handshakes.fetch_add(1, std::memory_order_relaxed);
  else l->socket->counters().tlsHandshakeFailed(failure);
}

void DownstreamSession::countResponse(int status) {
  int cls = status / 100;
  if (cls >= 1 && cls <= 5) WorkerStats::inc(ctx_.stats().downstream_rq_by_class[cls]);
}

}  // namespace strait::proxy
