#include "sidecar/upstream/h2_pool.h"

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <utility>
#include <vector>

namespace strait::proxy {

class H2UpstreamConnection;

// One request stream on a multiplexed connection: the UpstreamStream its attempt holds.
class H2Stream final : public UpstreamStream {
 public:
  explicit H2Stream(UpstreamStreamCallbacks& callbacks) : callbacks_(&callbacks) {}
  ~H2Stream() override { cancel(); }
  // The stream is open on `conn` as `id`.
  void attach(H2UpstreamConnection* conn, int32_t id) {
    conn_ = conn;
    id_ = id;
  }

  // UpstreamStream
  void sendBody(const char* data, size_t len) override;
  void end(const http::HeaderMap* trailers) override;
  void readDisable(bool disable) override;
  bool connecting() const override { return false; }  // no connect timeout per stream
  void cancel() override;

  // From the connection.
  void onHead(http::ResponseHead&& head, http::BodyFraming framing, uint64_t length) {
    if (callbacks_) callbacks_->onUpstreamHead(std::move(head), framing, length);
  }
  void onData(const char* data, size_t len);
  void onTrailers(http::HeaderMap&& trailers) {
    if (callbacks_) callbacks_->onUpstreamTrailers(std::move(trailers));
  }
  void onEnd();
  // The stream is gone without an end. `not_processed`: the server certainly did not
  // process it (GOAWAY, REFUSED_STREAM).
  void onReset(UpstreamFailure::Kind kind, std::string_view details) {
    conn_ = nullptr;
    if (UpstreamStreamCallbacks* cb = std::exchange(callbacks_, nullptr)) cb->onUpstreamFailure({kind, details});
  }
  void onRequestDrained() {
    if (above_high_ && callbacks_) {
      above_high_ = false;
      callbacks_->onUpstreamWriteWatermark(false);
    }
  }

  static constexpr size_t kHighWatermark = 1 << 20;  // request bytes queued for the peer

 private:
  void consume(size_t len);

  H2UpstreamConnection* conn_ = nullptr;  // null until open, and once the stream is over
  UpstreamStreamCallbacks* callbacks_;  // null once cancelled or over
  int32_t id_ = 0;
  size_t unconsumed_ = 0;               // response bytes not yet acknowledged (paused)
  bool paused_ = false;
  bool above_high_ = false;
};

// One multiplexed connection: its socket, its codec and the streams riding on it.
class H2UpstreamConnection final : public net::ConnectionCallbacks,
                                   public http::CodecCallbacks,
                                   public event::DeferredDeletable {
 public:
  H2UpstreamConnection(H2Pool& pool, event::Dispatcher& dispatcher, int fd,
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
  int32_t open(const http::RequestHead& head, bool end_stream, H2Stream* stream) {
    int32_t id = codec_.submitRequest(head, scheme_, end_stream);
    if (id <= 0) return id;
    streams_[id] = stream;
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
    failAll(never_connected ? UpstreamFailure::Kind::kConnectFailure : UpstreamFailure::Kind::kReset,
            never_connected ? "upstream_connect_failure" : "upstream_connection_closed");
    pool_.onConnectionDone(this);
  }
  void onBelowWriteLowWatermark() override {}

  // http::CodecCallbacks (the HTTP/2 client codec)
  void onResponseHead(http::StreamId id, http::ResponseHead&& head, http::BodyFraming framing,
                      uint64_t length) override {
    if (H2Stream* s = find(id)) s->onHead(std::move(head), framing, length);
  }
  void onBody(http::StreamId id, const char* data, size_t len) override {
    if (H2Stream* s = find(id)) s->onData(data, len);
    else codec_.consume(id, len);
  }
  void onTrailers(http::StreamId id, http::HeaderMap&& trailers) override {
    if (H2Stream* s = find(id)) s->onTrailers(std::move(trailers));
  }
  void onMessageComplete(http::StreamId id) override {
    H2Stream* s = find(id);
    streams_.erase(id);
    if (s) s->onEnd();
  }
  void onStreamClose(http::StreamId id, uint32_t error_code) override {
    H2Stream* s = find(id);
    streams_.erase(id);
    if (s && error_code != NGHTTP2_NO_ERROR) {
      s->onReset(error_code == NGHTTP2_REFUSED_STREAM ? UpstreamFailure::Kind::kNotProcessed
                                                       : UpstreamFailure::Kind::kReset,
                 "upstream_reset");
    }
    maybeRetire();
  }
  void onGoAway(http::StreamId last_stream_id, uint32_t) override {
    // Streams the server never saw go back to the router as retryable.
    std::vector<std::pair<int32_t, H2Stream*>> refused;
    for (auto& [id, s] : streams_) {
      if (id > last_stream_id) refused.emplace_back(id, s);
    }
    for (auto& [id, s] : refused) {
      streams_.erase(id);
      s->onReset(UpstreamFailure::Kind::kNotProcessed, "upstream_goaway");
    }
    maybeRetire();
  }
  void onStreamDrained(http::StreamId id) override {
    if (H2Stream* s = find(id)) s->onRequestDrained();
  }

 private:
  H2Stream* find(int32_t id) {
    auto it = streams_.find(id);
    return it == streams_.end() ? nullptr : it->second;
  }
  void flush() {
    if (closed_) return;
    codec_.drainOutput([this](const char* data, size_t len) { conn_->write(std::string_view(data, len)); });
  }
  void failAll(UpstreamFailure::Kind kind, std::string_view reason) {
    auto streams = std::move(streams_);
    streams_.clear();
    for (auto& [id, s] : streams) s->onReset(kind, reason);
  }
  // A connection that received GOAWAY closes once its last stream is done.
  void maybeRetire() {
    if (codec_.goAwayReceived() && streams_.empty() && !closed_) conn_->close(net::Connection::CloseType::kFlushWrite);
  }

  H2Pool& pool_;
  event::Dispatcher& dispatcher_;
  std::unique_ptr<net::Connection> conn_;
  std::string scheme_;
  http::H2ClientCodec codec_;
  absl::flat_hash_map<int32_t, H2Stream*> streams_;
  bool flush_scheduled_ = false;
  bool closed_ = false;
};

void H2Stream::sendBody(const char* data, size_t len) {
  if (!conn_) return;
  conn_->codec().sendData(id_, data, len);
  conn_->scheduleFlush();
  if (!above_high_ && conn_->codec().queuedBytes(id_) > kHighWatermark && callbacks_) {
    above_high_ = true;
    callbacks_->onUpstreamWriteWatermark(true);
  }
}

void H2Stream::end(const http::HeaderMap* trailers) {
  if (!conn_) return;
  conn_->codec().endStream(id_, trailers);
  conn_->scheduleFlush();
}

// Response bytes are acknowledged once delivered, unless the owner paused reading: then when
// it resumes (the upstream's window stays closed meanwhile).
void H2Stream::onData(const char* data, size_t len) {
  if (!callbacks_) return consume(len);
  callbacks_->onUpstreamData(data, len);
  if (paused_) unconsumed_ += len;
  else consume(len);
}

void H2Stream::readDisable(bool disable) {
  paused_ = disable;
  if (!disable && unconsumed_ > 0) consume(std::exchange(unconsumed_, 0));
}

void H2Stream::onEnd() {
  if (unconsumed_ > 0) consume(std::exchange(unconsumed_, 0));  // the connection's window
  conn_ = nullptr;
  if (UpstreamStreamCallbacks* cb = std::exchange(callbacks_, nullptr)) cb->onUpstreamEnd();
}

void H2Stream::consume(size_t len) {
  if (!conn_) return;
  conn_->codec().consume(id_, len);
  conn_->scheduleFlush();
}

void H2Stream::cancel() {
  callbacks_ = nullptr;
  if (!conn_) return;
  conn_->forget(id_);
  conn_->codec().resetStream(id_, NGHTTP2_CANCEL);
  conn_->scheduleFlush();
  conn_ = nullptr;
}

H2Pool::H2Pool(event::Dispatcher& dispatcher, net::Address address, WorkerStats& stats,
                               std::shared_ptr<const tls::ClientContext> tls, ClusterStatePtr cluster)
    : dispatcher_(dispatcher), address_(std::move(address)), stats_(stats), tls_(std::move(tls)),
      cluster_(std::move(cluster)) {}

H2Pool::~H2Pool() {
  for (auto& c : conns_) {
    ClusterState::dec(cluster_->connections);
    dispatcher_.deferredDelete(std::move(c));
  }
}

UpstreamPool::Result H2Pool::newStream(const Request& request, UpstreamStreamCallbacks& callbacks,
                                       std::unique_ptr<UpstreamStream>* out) {
  H2UpstreamConnection* chosen = nullptr;
  for (auto& c : conns_) {
    if (c->hasRoom()) {
      chosen = c.get();
      break;
    }
  }
  if (chosen == nullptr) {
    if (cluster_->connections.load(std::memory_order_relaxed) >= request.max_connections) {
      return Result::kOverflowConnections;
    }
    std::unique_ptr<net::TransportSocket> transport;
    if (tls_ && !(transport = tls_->newTransport())) return Result::kNoConnection;  // e.g. no mesh certificate yet
    auto fd = net::connectTcp(address_);
    if (!fd.ok()) return Result::kNoConnection;
    WorkerStats::inc(stats_.upstream_cx_total);
    WorkerStats::inc(stats_.upstream_cx_active);
    ClusterState::inc(cluster_->connections);
    conns_.push_front(std::make_unique<H2UpstreamConnection>(*this, dispatcher_, *fd, std::move(transport)));
    chosen = conns_.front().get();
  }
  auto stream = std::make_unique<H2Stream>(callbacks);
  int32_t id = chosen->open(*request.head, request.end_stream, stream.get());
  if (id <= 0) return Result::kNoConnection;
  stream->attach(chosen, id);
  *out = std::move(stream);
  return Result::kOk;
}

void H2Pool::onConnectionDone(H2UpstreamConnection* conn) {
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
