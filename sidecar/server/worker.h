// A worker: one thread, one dispatcher, its own connections, pools and LB state. Listening
// sockets are shared by all workers (registered with EPOLLEXCLUSIVE, so one wakes per
// connection); an accepted connection stays on the worker that accepted it.
// THREADS: the constructor, start(), stop() and setSnapshot() run on the main/ADS threads;
// everything else on the worker's own thread (setSnapshot posts to it).
#pragma once

#include <functional>
#include <memory>
#include <random>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "sidecar/event/dispatcher.h"
#include "sidecar/upstream/cluster_manager.h"
#include "sidecar/session/downstream_session.h"
#include "sidecar/core/snapshot.h"
#include "sidecar/core/worker_stats.h"
#include "sidecar/core/worker_context.h"

namespace strait::server {

class Worker final : public proxy::WorkerContext, public proxy::SessionOwner {
 public:
  explicit Worker(int index);
  ~Worker() override;

  void start();
  void stop();  // exits the loop and joins; open connections are closed
  // Any thread: make `snapshot` live on this worker; `done` runs on the worker thread once
  // it is (new requests use it, listeners added/removed, drained sessions told), with the
  // time the switch took on this thread. `done` must be cheap, and so must freeing it.
  void setSnapshot(proxy::SnapshotPtr snapshot, std::function<void(absl::Duration)> done);
  // Any thread: graceful shutdown. Stops accepting (for good: later generations add no
  // listener), closes idle connections, and has every busy one close after its current
  // response (HTTP/1.1 connection: close, HTTP/2 GOAWAY).
  void drain();
  const proxy::WorkerStats& workerStats() const { return stats_; }

  // proxy::WorkerContext
  event::Dispatcher& dispatcher() override { return dispatcher_; }
  const proxy::SnapshotPtr& snapshot() const override { return snapshot_; }
  proxy::ClusterManager& clusterManager() override { return cluster_manager_; }
  proxy::WorkerStats& stats() override { return stats_; }
  std::string newRequestId() override;
  uint64_t random() override { return rng_(); }

 private:
  class Acceptor;
  void applySnapshot(proxy::SnapshotPtr snapshot);
  void onAccept(int fd, const std::string& peer_ip, const std::string& listener);
  void onSessionClosed(proxy::DownstreamSession* session) override;

  int index_;
  event::Dispatcher dispatcher_;
  std::thread thread_;
  proxy::WorkerStats stats_;
  proxy::ClusterManager cluster_manager_;
  proxy::SnapshotPtr snapshot_;
  std::mt19937_64 rng_;
  // Listening socket fd -> acceptor registered on this worker's epoll.
  absl::flat_hash_map<int, std::unique_ptr<Acceptor>> acceptors_;
  absl::flat_hash_map<proxy::DownstreamSession*, std::unique_ptr<proxy::DownstreamSession>> sessions_;
  // Sessions of listeners with max_connections_per_client: the socket whose count they hold.
  absl::flat_hash_map<proxy::DownstreamSession*, std::shared_ptr<proxy::ListenSocket>> client_counted_;
  bool draining_ = false;  // drain() ran: no acceptor is added again
};

}  // namespace strait::server
