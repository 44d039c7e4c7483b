#include "sidecar/session/h2_downstream.h"

#include <nghttp2/nghttp2.h>

#include <cstdlib>
#include <vector>

#include "sidecar/core/overload.h"
#include "sidecar/router/header_utils.h"
#include "sidecar/router/request_log.h"
#include "sidecar/router/request_router.h"

namespace strait::proxy {

// One request stream: the StreamSink its RouterStream answers through. Deleted deferred,
// after its RouterStream.
class H2Downstream::Stream final : public http::StreamSink, public event::DeferredDeletable {
 public:
  Stream(H2Downstream& parent, int32_t id) : parent_(parent), id_(id) {}

  void sendHeaders(http::ResponseHead&& head, http::BodyFraming framing, uint64_t) override {
    countResponse(head.status);
    bool no_body = framing == http::BodyFraming::kNone;
    parent_.codec_.submitResponse(id_, head, no_body);
    response_done_ = no_body;
    parent_.scheduleFlush();
  }
  void sendInterim(const http::ResponseHead& head) override {
    if (head.status == 101) return;  // no protocol upgrades on HTTP/2 (RFC 9113 8.6)
    parent_.codec_.submitInterim(id_, head);
    parent_.scheduleFlush();
  }
  void sendBody(const char* data, size_t len) override {
    parent_.codec_.sendData(id_, data, len);
    if (!stream_above_ && parent_.codec_.queuedBytes(id_) > kHighWatermark) {
      stream_above_ = true;
      updatePause();
    }
    parent_.checkConnectionBuffer();
    if (parent_.connection_above_ || parent_.socket_above_) updatePause();  // a stream opened meanwhile
    parent_.scheduleFlush();
  }
  void sendComplete(const http::HeaderMap* trailers) override {
    if (!response_done_) parent_.codec_.endStream(id_, trailers);
    response_done_ = true;
    parent_.scheduleFlush();
  }
  void sendLocalReply(int status, std::string_view details) override {
    countResponse(status);
    http::ResponseHead head;
    std::string body = makeLocalReply(status, details, &head);
    parent_.codec_.submitResponse(id_, head, false);
    parent_.codec_.sendData(id_, body.data(), body.size());
    parent_.codec_.endStream(id_, nullptr);
    response_done_ = true;
    parent_.scheduleFlush();
  }
  void resetDownstream() override {
    parent_.codec_.resetStream(id_, NGHTTP2_INTERNAL_ERROR);
    parent_.scheduleFlush();
  }
  void readDisableDownstream(bool disable) override {
    request_paused_ = disable;
    if (!disable && unconsumed_ > 0) {
      parent_.codec_.consume(id_, unconsumed_);
      unconsumed_ = 0;
      parent_.scheduleFlush();
    }
  }

  // The request body is still to come (counted in the parent's streams_awaiting_body_).
  void setAwaitingBody(bool awaiting) {
    if (awaiting == awaiting_body_) return;
    awaiting_body_ = awaiting;
    if (awaiting) {
      parent_.streams_awaiting_body_++;
    } else {
      parent_.streams_awaiting_body_--;
    }
  }
  bool awaitingBody() const { return awaiting_body_; }
  bool requestPaused() const { return request_paused_; }
  bool responseDone() const { return response_done_; }

  void onData(const char* data, size_t len) {
    if (proxy && !response_done_) proxy->onRequestBody(data, len);
    if (request_paused_) {
      unconsumed_ += len;
    } else {
      parent_.codec_.consume(id_, len);
    }
  }
  void onDrained() {
    stream_above_ = false;
    updatePause();
  }
  // The stream's upstream reads pause while its own queue, the connection's total or the
  // connection's socket buffer is above its mark (three reasons, one switch).
  void updatePause() {
    bool want = stream_above_ || parent_.connection_above_ || parent_.socket_above_;
    if (want == upstream_paused_ || !proxy) return;
    upstream_paused_ = want;
    proxy->onDownstreamWatermark(want);
  }
  void countResponse(int status) {
    int cls = status / 100;
    if (cls >= 1 && cls <= 5) WorkerStats::inc(parent_.ctx_.stats().downstream_rq_by_class[cls]);
  }

  static constexpr size_t kHighWatermark = 1 << 20;
  std::unique_ptr<RouterStream> proxy;

 private:
  H2Downstream& parent_;
  int32_t id_;
  bool response_done_ = false;
  bool request_paused_ = false;
  bool upstream_paused_ = false;
  bool stream_above_ = false;     // this stream's queue went past kHighWatermark
  bool awaiting_body_ = false;
  size_t unconsumed_ = 0;
};

namespace {
// The listener's request head limit applies to HTTP/2 as the header list size (advertised in
// SETTINGS_MAX_HEADER_LIST_SIZE; larger heads are answered 431, like HTTP/1.1 ones).
http::H2Settings settingsFor(WorkerContext& ctx, const std::string& listener_name) {
  http::H2Settings settings;
  const ListenerInfo* l = ctx.snapshot() ? ctx.snapshot()->findListener(listener_name) : nullptr;
  if (l != nullptr) {
    settings.max_header_list_size = static_cast<uint32_t>(l->max_request_headers_bytes);
    settings.max_control_frames = l->h2_max_control_frames;
    settings.max_refused_header_blocks = l->h2_max_refused_header_blocks;
  }
  return settings;
}
}  // namespace

H2Downstream::H2Downstream(WorkerContext& ctx, net::Connection& conn, SessionControl& control,
                           std::string listener_name, std::string peer_ip, const net::Address* original_dst)
    : ctx_(ctx), conn_(conn), control_(control), listener_name_(std::move(listener_name)), peer_ip_(std::move(peer_ip)), original_dst_(original_dst),
      codec_(this, settingsFor(ctx_, listener_name_)) {
  const ListenerInfo* l = ctx_.snapshot() ? ctx_.snapshot()->findListener(listener_name_) : nullptr;
  if (l != nullptr) connection_buffer_bytes_ = l->h2_connection_buffer_bytes;
}

H2Downstream::~H2Downstream() { onClose(); }

bool H2Downstream::onRead(net::Buffer& in) {
  codec_.setNowMs(ctx_.dispatcher().nowMs());
  bool ok = codec_.execute(in.data(), in.size());
  in.drain(in.size());
  flush();  // may send the GOAWAY nghttp2 queued for a protocol error
  if (codec_.failed() && !error_counted_) {
    error_counted_ = true;
    bool flood = codec_.error() == "flood";
    WorkerStats::inc(flood ? ctx_.stats().downstream_h2_flood : ctx_.stats().downstream_h2_protocol_error);
  }
  return ok && codec_.alive();
}

void H2Downstream::onClose() {
  if (closed_) return;
  closed_ = true;
  for (auto& [id, s] : streams_) {
    if (s->proxy) {
      s->proxy->reset();
      ctx_.dispatcher().deferredDelete(std::move(s->proxy));
    }
  }
  streams_.clear();
  streams_awaiting_body_ = 0;
}

void H2Downstream::onDownstreamWatermark(bool above) {
  socket_above_ = above;
  for (auto& [id, s] : streams_) s->updatePause();
  checkConnectionBuffer();
}

// Every stream's response bytes waiting for this client, together: past the listener's bound
// all the upstreams pause; below a quarter of it they resume.
void H2Downstream::checkConnectionBuffer() {
  size_t buffered = codec_.totalQueuedBytes() + conn_.bufferedOut();
  bool above = connection_above_ ? buffered > connection_buffer_bytes_ / 4 : buffered > connection_buffer_bytes_;
  if (above == connection_above_) return;
  connection_above_ = above;
  if (above) WorkerStats::inc(ctx_.stats().downstream_h2_connection_buffer_full);
  for (auto& [id, s] : streams_) s->updatePause();
  if (above) control_.onOutputBackedUp();
}

bool H2Downstream::bodiesHeldBack() const {
  for (const auto& [id, s] : streams_) {
    if (s->awaitingBody() && !s->requestPaused()) return false;
  }
  return true;
}

void H2Downstream::onSlowBody() {
  std::vector<Stream*> slow;
  for (auto& [id, s] : streams_) {
    if (s->awaitingBody()) slow.push_back(s.get());
  }
  for (Stream* s : slow) {
    WorkerStats::inc(ctx_.stats().downstream_rq_body_timeout);
    s->setAwaitingBody(false);
    if (s->responseDone()) continue;
    if (s->proxy && s->proxy->responseStarted()) {
      s->resetDownstream();
      continue;
    }
    if (s->proxy) s->proxy->reset();
    s->sendLocalReply(408, "request_body_timeout");
  }
  // The connection ends once the replies are out, like HTTP/1.1's (its other streams end
  // with it: the client that owns them is the slow one). Draining instead would wait for
  // the bodies that do not come (a stream stays open until the client ends its side).
  draining_ = true;
  codec_.goAway();
  flush();
  control_.closeGracefully();
}

void H2Downstream::drain() {
  if (draining_ || closed_) return;
  draining_ = true;
  codec_.goAway();
  flush();
  if (streams_.empty()) control_.closeGracefully();
}

void H2Downstream::scheduleFlush() {
  if (flush_scheduled_ || closed_) return;
  flush_scheduled_ = true;
  // Runs before any deferred deletion of this object's owner (see Dispatcher::runDeferred).
  ctx_.dispatcher().deferred([this] {
    flush_scheduled_ = false;
    flush();
  });
}

void H2Downstream::flush() {
  if (closed_) return;
  codec_.drainOutput([this](const char* data, size_t len) { conn_.write(std::string_view(data, len)); });
  if (connection_above_) checkConnectionBuffer();
}

void H2Downstream::onRequestHead(http::StreamId id, http::RequestHead&& head, http::BodyFraming framing,
                                 uint64_t length) {
  WorkerStats::inc(ctx_.stats().downstream_rq_total);
  auto owned = std::make_unique<Stream>(*this, id);
  Stream* s = owned.get();
  streams_[id] = std::move(owned);
  // Only bodies of a declared length are held to request_body_min_rate (see listener.proto).
  if (framing == http::BodyFraming::kContentLength && length > 0) s->setAwaitingBody(true);
  const SnapshotPtr& snapshot = ctx_.snapshot();
  const ListenerInfo* listener = snapshot ? snapshot->findListener(listener_name_) : nullptr;
  if (listener == nullptr) return s->sendLocalReply(503, "listener_draining");
  if (OverloadState::global().refuseRequests()) {
    OverloadState::global().countRefusedRequest();
    logLocalReply(ctx_, *listener, &head, peer_ip_, "HTTP/2", conn_.peerIdentity(), 503,
                  http::ResponseFlag::kOverloaded, "overloaded");
    s->sendLocalReply(503, "overloaded");
    return drain();  // GOAWAY: the client takes its next requests elsewhere
  }
  std::string client = trustedClientAddress(head.headers, peer_ip_, listener->xff_trusted_hops);
  uint32_t port = original_dst_ ? original_dst_->port() : listener->socket ? listener->socket->address().port() : 0;
  RouteResult routed = routeRequest(*listener, head, conn_.peerIdentity(), client, port);
  if (routed.route == nullptr) {
    logLocalReply(ctx_, *listener, &head, peer_ip_, "HTTP/2", conn_.peerIdentity(), routed.local_status,
                  routingFailureFlag(routed.local_status), routed.details);
    return s->sendLocalReply(routed.local_status, routed.details);
  }
  s->proxy = std::make_unique<RouterStream>(ctx_, *s, snapshot, *routed.route);
  s->proxy->setListener(listener);
  initStreamInfo(ctx_, *listener, head, std::move(client), peer_ip_, "HTTP/2", conn_.peerIdentity(),
                 &s->proxy->mutableStreamInfo());
  RequestInfo info = requestInfo(*listener, conn_.secure());
  info.original_dst = original_dst_;
  s->proxy->start(std::move(head), framing, length, info);
}

void H2Downstream::onBody(http::StreamId id, const char* data, size_t len) {
  request_body_bytes_ += len;
  auto it = streams_.find(id);
  if (it == streams_.end()) return codec_.consume(id, len);
  it->second->onData(data, len);
}

void H2Downstream::onTrailers(http::StreamId id, http::HeaderMap&& trailers) {
  // Forwarded with the end of the request (HTTP/2 upstreams, or chunked HTTP/1.1 ones).
  auto it = streams_.find(id);
  if (it != streams_.end() && it->second->proxy) it->second->proxy->onRequestTrailers(std::move(trailers));
}

void H2Downstream::onMessageComplete(http::StreamId id) {
  auto it = streams_.find(id);
  if (it != streams_.end()) it->second->setAwaitingBody(false);
  if (it != streams_.end() && it->second->proxy) it->second->proxy->onRequestComplete();
}

void H2Downstream::onStreamClose(http::StreamId id, uint32_t) {
  auto it = streams_.find(id);
  if (it == streams_.end()) return;
  it->second->setAwaitingBody(false);
  if (it->second->proxy) {
    // Closed by the client before the response completed, or normally after it: either way
    // the upstream exchange ends here (a finished one has already released its connection).
    if (!it->second->proxy->responseComplete()) it->second->proxy->reset();
    ctx_.dispatcher().deferredDelete(std::move(it->second->proxy));
  }
  // The Stream is the RouterStream's sink: deleted after it (deferred deletions run in order).
  ctx_.dispatcher().deferredDelete(std::move(it->second));
  streams_.erase(it);
  if (draining_ && streams_.empty()) {
    // The last stream's final frames are queued: flush them, then close.
    ctx_.dispatcher().deferred([this] {
      if (closed_) return;
      flush();
      control_.closeGracefully();
    });
  }
}

void H2Downstream::onStreamDrained(http::StreamId id) {
  auto it = streams_.find(id);
  if (it != streams_.end()) it->second->onDrained();
}

}  // namespace strait::proxy
