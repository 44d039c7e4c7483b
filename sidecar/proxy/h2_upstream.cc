#include "sidecar/proxy/h2_upstream.h"

#include <nghttp2/nghttp2.h>

#include <algorithm>

namespace strait::proxy {

// One multiplexed connection: its socket, its codec and the streams riding on it.
class H2UpstreamConnection final : public net::ConnectionCallbacks,
                                   public http::H2ClientCallbacks,
                                   public event::DeferredDeletable {
 public:
  H2UpstreamConnection(H2UpstreamPool& pool, event::Dispatcher& dispatcher, int fd,
                       std::unique_ptr<net::TransportSocket> transport)
      : pool_(pool), dispatcher_(dispatcher),
        conn_(std::make_unique<net::Connection>(dispatcher, fd, /*connecting=*/true, std::move(transport))),
        scheme_(conn_->secure() ? "https" : "http"), codec_(this) {
    conn_->setCallbacks(this);
    flush();  // the client preface and SETTINGS wait in the buffer until connected
  }
  ~H2UpstreamConnection() override {
    if (conn_) dispatcher_.deferredDelete(std::move(conn_));
  }

  bool hasRoom() const {
    if (closed_ || codec_.goAwayReceived()) return false;
    uint32_t limit = std::min<uint32_t>(codec_.remoteMaxConcurrentStreams(), 1000);
    return streams_.size() < limit;
  }
  int32_t open(const http::RequestHead& head, bool end_stream, H2UpstreamCallbacks* cb) {
    int32_t id = codec_.submitRequest(head, scheme_, end_stream);
    if (id <= 0) return id;
    streams_[id] = cb;
    scheduleFlush();
    return id;
  }
  http::H2ClientCodec& codec() { return codec_; }
  void forget(int32_t id) { streams_.erase(id); }
  void scheduleFlush() {
    if (flush_scheduled_ || closed_) return;
    flush_scheduled_ = true;
    dispatcher_.deferred([this] {
      flush_scheduled_ = false;
      flush();
    });
  }

  // net::ConnectionCallbacks
  void onRead(net::Buffer& in) override {
    bool ok = codec_.execute(in.data(), in.size());
    in.clear();
    flush();
    if (!ok) conn_->close(net::Connection::CloseType::kFlushWrite);
  }
  void onEvent(net::ConnectionEvent event) override {
    if (event == net::ConnectionEvent::kConnected) return flush();
    closed_ = true;
    bool never_connected = conn_->connectFailed();
    failAll(never_connected, never_connected ? "upstream_connect_failure" : "upstream_connection_closed");
    pool_.onConnectionDone(this);
  }
  void onBelowWriteLowWatermark() override {}

  // http::H2ClientCallbacks
  void onH2ResponseHead(int32_t id, http::ResponseHead&& head, bool end_stream) override {
    if (auto* cb = find(id)) cb->onUpstreamHead(std::move(head), end_stream);
  }
  void onH2ResponseData(int32_t id, const char* data, size_t len) override {
    if (auto* cb = find(id)) cb->onUpstreamData(data, len);
    else codec_.consume(id, len);
  }
  void onH2ResponseTrailers(int32_t id, http::HeaderMap&& trailers) override {
    if (auto* cb = find(id)) cb->onUpstreamTrailers(std::move(trailers));
  }
  void onH2ResponseEnd(int32_t id) override {
    H2UpstreamCallbacks* cb = find(id);
    streams_.erase(id);
    if (cb) cb->onUpstreamEnd();
  }
  void onH2StreamClose(int32_t id, uint32_t error_code) override {
    H2UpstreamCallbacks* cb = find(id);
    streams_.erase(id);
    if (cb && error_code != NGHTTP2_NO_ERROR) {
      cb->onUpstreamReset(error_code == NGHTTP2_REFUSED_STREAM, "upstream_reset");
    }
    maybeRetire();
  }
  void onH2GoAway(int32_t last_stream_id, uint32_t) override {
    // Streams the server never saw go back to the router as retryable.
    std::vector<std::pair<int32_t, H2UpstreamCallbacks*>> refused;
    for (auto& [id, cb] : streams_) {
      if (id > last_stream_id) refused.emplace_back(id, cb);
    }
    for (auto& [id, cb] : refused) {
      streams_.erase(id);
      cb->onUpstreamReset(/*retryable=*/true, "upstream_goaway");
    }
    maybeRetire();
  }
  void onH2RequestDrained(int32_t id) override {
    if (auto* cb = find(id)) cb->onUpstreamRequestDrained();
  }

 private:
  H2UpstreamCallbacks* find(int32_t id) {
    auto it = streams_.find(id);
    return it == streams_.end() ? nullptr : it->second;
  }
  void flush() {
    if (closed_) return;
    codec_.drainOutput([this](const char* data, size_t len) { conn_->write(std::string_view(data, len)); });
  }
  void failAll(bool retryable, std::string_view reason) {
    auto streams = std::move(streams_);
    streams_.clear();
    for (auto& [id, cb] : streams) cb->onUpstreamReset(retryable, reason);
  }
  // A connection that received GOAWAY closes once its last stream is done.
  void maybeRetire() {
    if (codec_.goAwayReceived() && streams_.empty() && !closed_) conn_->close(net::Connection::CloseType::kFlushWrite);
  }

  H2UpstreamPool& pool_;
  event::Dispatcher& dispatcher_;
  std::unique_ptr<net::Connection> conn_;
  std::string scheme_;
  http::H2ClientCodec codec_;
  absl::flat_hash_map<int32_t, H2UpstreamCallbacks*> streams_;
  bool flush_scheduled_ = false;
  bool closed_ = false;
};

void H2UpstreamStream::sendData(const char* data, size_t len) {
  if (!conn) return;
  conn->codec().sendData(id, data, len);
  conn->scheduleFlush();
}

void H2UpstreamStream::end(const http::HeaderMap* trailers) {
  if (!conn) return;
  conn->codec().endStream(id, trailers);
  conn->scheduleFlush();
}

void H2UpstreamStream::consume(size_t len) {
  if (!conn) return;
  conn->codec().consume(id, len);
  conn->scheduleFlush();
}

size_t H2UpstreamStream::queued() const { return conn ? conn->codec().queuedBytes(id) : 0; }

void H2UpstreamStream::cancel() {
  if (!conn) return;
  conn->forget(id);
  conn->codec().resetStream(id, NGHTTP2_CANCEL);
  conn->scheduleFlush();
  conn = nullptr;
}

H2UpstreamPool::H2UpstreamPool(event::Dispatcher& dispatcher, net::Address address, WorkerStats& stats,
                               std::shared_ptr<const tls::ClientContext> tls, ClusterStatePtr cluster)
    : dispatcher_(dispatcher), address_(std::move(address)), stats_(stats), tls_(std::move(tls)),
      cluster_(std::move(cluster)) {}

H2UpstreamPool::~H2UpstreamPool() {
  for (auto& c : conns_) {
    ClusterState::dec(cluster_->connections);
    dispatcher_.deferredDelete(std::move(c));
  }
}

bool H2UpstreamPool::newStream(const http::RequestHead& head, bool end_stream, H2UpstreamCallbacks* cb,
                               uint32_t max_connections, H2UpstreamStream* out) {
  H2UpstreamConnection* chosen = nullptr;
  for (auto& c : conns_) {
    if (c->hasRoom()) {
      chosen = c.get();
      break;
    }
  }
  if (chosen == nullptr) {
    if (cluster_->connections.load(std::memory_order_relaxed) >= max_connections) return false;
    std::unique_ptr<net::TransportSocket> transport;
    if (tls_ && !(transport = tls_->newTransport())) return false;  // e.g. no mesh certificate yet
    auto fd = net::connectTcp(address_);
    if (!fd.ok()) return false;
    WorkerStats::inc(stats_.upstream_cx_total);
    WorkerStats::inc(stats_.upstream_cx_active);
    ClusterState::inc(cluster_->connections);
    conns_.push_front(std::make_unique<H2UpstreamConnection>(*this, dispatcher_, *fd, std::move(transport)));
    chosen = conns_.front().get();
  }
  int32_t id = chosen->open(head, end_stream, cb);
  if (id <= 0) return false;
  out->conn = chosen;
  out->id = id;
  return true;
}

void H2UpstreamPool::onConnectionDone(H2UpstreamConnection* conn) {
  for (auto it = conns_.begin(); it != conns_.end(); ++it) {
    if (it->get() == conn) {
      WorkerStats::dec(stats_.upstream_cx_active);
      ClusterState::dec(cluster_->connections);
      dispatcher_.deferredDelete(std::move(*it));
      conns_.erase(it);
      return;
    }
  }
}

}  // namespace strait::proxy
