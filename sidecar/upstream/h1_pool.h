// Per-worker pool of HTTP/1.1 connections to one upstream endpoint: makes exchanges
// (H1UpstreamStream, one request at a time per connection) on an idle keep-alive connection
// or a new one, and keeps the connections they give back idle until their timeout.
// THREADS: the owning worker only. OWNERSHIP: a connection in use belongs to its exchange
// (or to a DetachedExchange, through acquire()) until it comes back through done();
// idle ones belong to the pool.
#pragma once

#include <list>
#include <memory>
#include <string>

#include "sidecar/event/dispatcher.h"
#include "sidecar/net/address.h"
#include "sidecar/net/connection.h"
#include "sidecar/upstream/host_state.h"
#include "sidecar/core/worker_stats.h"
#include "sidecar/tls/client_context.h"
#include "sidecar/upstream/upstream_stream.h"

namespace strait::proxy {

class H1Pool final : public UpstreamPool {
 public:
  // `tls` (nullptr: plaintext) makes every new connection TLS; kConnected then means
  // "handshake done" and a failed handshake is a connect failure.
  // `cluster` counts this pool's open connections (the cluster's max_connections).
  H1Pool(event::Dispatcher& dispatcher, net::Address address, WorkerStats& stats,
           std::shared_ptr<const tls::ClientContext> tls, ClusterStatePtr cluster);
  ~H1Pool() override;

  // UpstreamPool: an exchange on the most recently used idle connection, or (none idle, or
  // request.fresh) on a new one, within the cluster's connection and pending limits.
  Result newStream(const Request& request, UpstreamStreamCallbacks& callbacks,
                   std::unique_ptr<UpstreamStream>* out) override;
  // An exchange is over with its connection: kept idle for `idle_ms` when `reusable` (and
  // the endpoint is still configured), else closed.
  void done(std::unique_ptr<net::Connection> conn, bool reusable, int64_t idle_ms);
  // The endpoint left the configuration (or came back): idle connections close, and
  // connections in use close when their exchange ends.
  void setRetired(bool retired) {
    retired_ = retired;
    if (retired) closeIdle();
  }

  // The most recently used idle connection, or (none idle, or `fresh`) a new one with its
  // connect in progress; nullptr if no socket could be created. `reused` tells which.
  // An idle connection may have been closed by the upstream a moment ago without the event
  // being processed yet; the exchange reports such a failure as kNotProcessed and the router
  // sends the request once more on a fresh connection (cheaper than probing every reused
  // connection with a syscall).
  std::unique_ptr<net::Connection> acquire(bool* reused, bool fresh = false);
  // Gives a connection back after a complete keep-alive exchange; kept idle up to idle_ms.
  void release(std::unique_ptr<net::Connection> conn, int64_t idle_ms);
  // Closes every idle connection (the endpoint left the configuration).
  void closeIdle();
  size_t idleCount() const { return idle_.size(); }
  // Connections handed out or idle.
  size_t total() const { return total_; }
  // The caller closed an acquired connection instead of releasing it.
  void onConnectionClosed() { if (total_ > 0) countClosed(); }

 private:
  struct Idle;
  void removeIdle(Idle* idle);
  void sweep();  // closes idle connections past their expiry
  void countOpened() { total_++; ClusterState::inc(cluster_->connections); }
  void countClosed() { total_--; ClusterState::dec(cluster_->connections); }

  event::Dispatcher& dispatcher_;
  net::Address address_;
  WorkerStats& stats_;
  std::shared_ptr<const tls::ClientContext> tls_;
  std::list<std::unique_ptr<Idle>> idle_;  // most recently used at the front
  static constexpr size_t kMaxSpare = 32;
  std::list<std::unique_ptr<Idle>> spare_;  // emptied slots, reused by release()
  event::Timer sweep_timer_;               // armed while connections are idle
  ClusterStatePtr cluster_;
  size_t total_ = 0;
  bool retired_ = false;  // the endpoint left the configuration
};

}  // namespace strait::proxy
