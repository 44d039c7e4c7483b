#include "sidecar/upstream/h1_pool.h"

#include <vector>

#include "sidecar/upstream/h1_upstream_stream.h"

namespace strait::proxy {

// An idle connection: the pool listens to it so a close by the upstream removes it.
struct H1Pool::Idle : public net::ConnectionCallbacks {
  Idle(H1Pool& pool, std::unique_ptr<net::Connection> c, int64_t expires_ms)
      : pool(pool), conn(std::move(c)), expires_ms(expires_ms) {}

  void onRead(net::Buffer& in) override {
    // An idle upstream must not send anything; if it does the connection is unusable.
    in.clear();
    conn->close(net::Connection::CloseType::kNoFlush);
  }
  void onEvent(net::ConnectionEvent) override { pool.removeIdle(this); }

  H1Pool& pool;
  std::unique_ptr<net::Connection> conn;
  int64_t expires_ms;  // closed by the pool's sweep after this (monotonic ms)
  std::list<std::unique_ptr<Idle>>::iterator pos;
};

H1Pool::H1Pool(event::Dispatcher& dispatcher, net::Address address, WorkerStats& stats,
                   std::shared_ptr<const tls::ClientContext> tls, ClusterStatePtr cluster)
    : dispatcher_(dispatcher), address_(std::move(address)), stats_(stats), tls_(std::move(tls)),
      sweep_timer_(dispatcher, [this] { sweep(); }), cluster_(std::move(cluster)) {}

H1Pool::~H1Pool() {
  for (auto& idle : idle_) {
    idle->conn->setCallbacks(nullptr);
    countClosed();
    WorkerStats::dec(stats_.upstream_cx_active);
    dispatcher_.deferredDelete(std::move(idle->conn));
  }
}

std::unique_ptr<net::Connection> H1Pool::acquire(bool* reused, bool fresh) {
  while (!fresh && !idle_.empty()) {
    std::unique_ptr<net::Connection> conn = std::move(idle_.front()->conn);
    // Keep the emptied slot (and its list node) for the next release: no allocation per
    // request for pooling.
    if (spare_.size() < kMaxSpare) spare_.splice(spare_.begin(), idle_, idle_.begin());
    else idle_.pop_front();
    conn->setCallbacks(nullptr);
    if (conn->open()) {
      *reused = true;
      return conn;
    }
    countClosed();
    WorkerStats::dec(stats_.upstream_cx_active);
    dispatcher_.deferredDelete(std::move(conn));
  }
  std::unique_ptr<net::TransportSocket> transport;
  if (tls_) {
    transport = tls_->newTransport();
    if (!transport) return nullptr;  // e.g. no mesh certificate yet
  }
  auto fd = net::connectTcp(address_);
  if (!fd.ok()) return nullptr;
  *reused = false;
  countOpened();
  WorkerStats::inc(stats_.upstream_cx_total);
  WorkerStats::inc(stats_.upstream_cx_active);
  return std::make_unique<net::Connection>(dispatcher_, *fd, /*connecting=*/true, std::move(transport));
}

UpstreamPool::Result H1Pool::newStream(const Request& request, UpstreamStreamCallbacks& callbacks,
                                       std::unique_ptr<UpstreamStream>* out) {
  if (request.fresh || idle_.empty()) {
    if (cluster_->connections.load(std::memory_order_relaxed) >= request.max_connections) {
      return Result::kOverflowConnections;
    }
    if (cluster_->pending_requests.load(std::memory_order_relaxed) >= request.max_pending_requests) {
      return Result::kOverflowPending;
    }
  }
  bool reused = false;
  std::unique_ptr<net::Connection> conn = acquire(&reused, request.fresh);
  if (!conn) return Result::kNoConnection;
  *out = std::make_unique<H1UpstreamStream>(*this, std::move(conn), reused, request, callbacks);
  return Result::kOk;
}

void H1Pool::done(std::unique_ptr<net::Connection> conn, bool reusable, int64_t idle_ms) {
  if (reusable && !retired_) return release(std::move(conn), idle_ms);
  conn->setCallbacks(nullptr);
  conn->close(net::Connection::CloseType::kNoFlush);
  onConnectionClosed();
  WorkerStats::dec(stats_.upstream_cx_active);
  dispatcher_.deferredDelete(std::move(conn));
}

void H1Pool::release(std::unique_ptr<net::Connection> conn, int64_t idle_ms) {
  int64_t expires = dispatcher_.nowMs() + idle_ms;
  if (!spare_.empty()) {
    idle_.splice(idle_.begin(), spare_, spare_.begin());
    idle_.front()->conn = std::move(conn);
    idle_.front()->expires_ms = expires;
  } else {
    idle_.push_front(std::make_unique<Idle>(*this, std::move(conn), expires));
  }
  Idle* raw = idle_.front().get();
  raw->pos = idle_.begin();
  raw->conn->setCallbacks(raw);
  // One timer per pool, checked lazily: no timer update per request.
  if (!sweep_timer_.enabled()) sweep_timer_.enableMs(idle_ms);
}

void H1Pool::removeIdle(Idle* idle) {
  // Called from the connection's close callback: defer the deletion of both.
  countClosed();
  WorkerStats::dec(stats_.upstream_cx_active);
  auto owned = std::move(*idle->pos);
  idle_.erase(idle->pos);
  owned->conn->setCallbacks(nullptr);
  dispatcher_.deferredDelete(std::move(owned->conn));
  struct Holder : event::DeferredDeletable { std::unique_ptr<Idle> idle; };
  auto holder = std::make_unique<Holder>();
  holder->idle = std::move(owned);
  dispatcher_.deferredDelete(std::move(holder));
}

void H1Pool::sweep() {
  int64_t now = dispatcher_.nowMs();
  std::vector<net::Connection*> expired;
  int64_t next = -1;
  for (auto& idle : idle_) {
    if (idle->expires_ms <= now) expired.push_back(idle->conn.get());
    else if (next < 0 || idle->expires_ms < next) next = idle->expires_ms;
  }
  for (net::Connection* c : expired) c->close(net::Connection::CloseType::kNoFlush);  // -> removeIdle
  if (next >= 0) sweep_timer_.enableMs(next - now);
}

void H1Pool::closeIdle() {
  while (!idle_.empty()) {
    idle_.front()->conn->close(net::Connection::CloseType::kNoFlush);  // -> removeIdle
  }
}

}  // namespace strait::proxy
