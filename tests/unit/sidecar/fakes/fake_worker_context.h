// A WorkerContext for unit tests: a real Dispatcher driven by the test thread (runUntil), a
// ClusterManager whose pools are FakePools (or the real ones: fake_pools = false), a
// deterministic random() and request ids, and a snapshot the test sets.
// THREADS: the test thread only.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "sidecar/core/worker_context.h"
#include "tests/unit/sidecar/fakes/fake_upstream.h"

namespace strait::proxy::testing {

class FakeClusterManager final : public ClusterManager {
 public:
  using ClusterManager::ClusterManager;
  UpstreamPool& pool(const ClusterInfo& cluster, const EndpointInfo& endpoint) override {
    if (!fake_pools) return ClusterManager::pool(cluster, endpoint);
    return fakePool(endpoint);
  }
  FakePool& fakePool(const EndpointInfo& endpoint) {
    auto& slot = pools_[endpoint.key];
    if (!slot) slot = std::make_unique<FakePool>(endpoint, exchanges);
    return *slot;
  }

  bool fake_pools = true;
  std::vector<std::shared_ptr<FakeExchange>> exchanges;  // every fake stream, in order

 private:
  absl::flat_hash_map<std::string, std::unique_ptr<FakePool>> pools_;
};

class FakeWorkerContext final : public WorkerContext {
 public:
  FakeWorkerContext() = default;
  ~FakeWorkerContext() override { cm_.clear(); }

  event::Dispatcher& dispatcher() override { return dispatcher_; }
  const SnapshotPtr& snapshot() const override { return snapshot_; }
  ClusterManager& clusterManager() override { return cm_; }
  WorkerStats& stats() override { return stats_; }
  std::string newRequestId() override { return "req-" + std::to_string(++ids_); }
  uint64_t random() override { return random_value; }

  void setSnapshot(SnapshotPtr snapshot) {
    snapshot_ = std::move(snapshot);
    cm_.onSnapshot(*snapshot_);
  }
  FakeClusterManager& cm() { return cm_; }
  // The i-th fake exchange made (nullptr if fewer were made).
  FakeExchange* exchange(size_t i) { return i < cm_.exchanges.size() ? cm_.exchanges[i].get() : nullptr; }
  size_t exchangeCount() const { return cm_.exchanges.size(); }

  // Runs loop iterations until `done` holds or `timeout_ms` passed; whether it held. The
  // deadline is a safety net only: tests wait for a condition, never for time itself.
  bool runUntil(const std::function<bool()>& done, int64_t timeout_ms = 5000) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      dispatcher_.runOnce(10);
    }
    return true;
  }
  // One iteration without waiting: deferred work (deletions, writes) and due timers run.
  void runPending() { dispatcher_.runOnce(0); }

  uint64_t random_value = 0;  // what random() returns (backoff 0, first weighted cluster)

 private:
  event::Dispatcher dispatcher_;
  WorkerStats stats_;
  FakeClusterManager cm_{dispatcher_, stats_};
  SnapshotPtr snapshot_;
  uint64_t ids_ = 0;
};

}  // namespace strait::proxy::testing
