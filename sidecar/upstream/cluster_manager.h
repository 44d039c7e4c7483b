// A worker's mutable view of the upstream world: load-balancer state per cluster and
// connection pools per endpoint. Pools are keyed by endpoint address, so they survive a
// generation that keeps the endpoint; endpoints that leave have their idle connections
// closed (busy ones finish their request and are then closed, see H1Pool::setRetired).
// THREADS: the owning worker only.
#pragma once

#include <memory>
#include <random>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "sidecar/event/dispatcher.h"
#include "sidecar/upstream/h1_pool.h"
#include "sidecar/upstream/h2_pool.h"
#include "sidecar/upstream/load_balancer.h"
#include "sidecar/upstream/upstream_stream.h"
#include "sidecar/core/snapshot.h"
#include "sidecar/core/worker_stats.h"

namespace strait::proxy {

class ClusterManager {
 public:
  ClusterManager(event::Dispatcher& dispatcher, WorkerStats& stats)
      : dispatcher_(dispatcher), stats_(stats),
        seed_state_((uint64_t{std::random_device{}()} << 32) | std::random_device{}()) {}
  virtual ~ClusterManager() = default;

  // Closes every pooled connection and forgets all state (worker shutdown, on its thread).
  void clear() {
    detached_.clear();
    lbs_.clear();
    pools_.clear();
    h2_pools_.clear();
  }
  // Keeps an exchange that outlives the request that started it (a mirrored request) until
  // it calls release(); one still running at worker shutdown is destroyed by clear().
  void adopt(std::unique_ptr<event::DeferredDeletable> exchange);
  // The adopted exchange is finished: deleted later (it may be in its own callback).
  void release(event::DeferredDeletable* exchange);
  // A new snapshot is live on this worker: rebuild LB state, drop pools of gone endpoints.
  void onSnapshot(const Snapshot& snapshot);
  // The LB of `cluster` as of the snapshot the request pinned (state is per cluster name;
  // a request on an older generation gets a balancer for its own endpoint list).
  LoadBalancer& loadBalancer(const std::shared_ptr<const ClusterInfo>& cluster);
  // The pool an attempt at `endpoint` of `cluster` uses: HTTP/2 or HTTP/1.1 by the cluster
  // (keyed by EndpointInfo::key, which names the cluster). Virtual only as a test seam: unit
  // tests of the attempt/stream state machine return fake pools (tests/unit/sidecar/fakes).
  virtual UpstreamPool& pool(const ClusterInfo& cluster, const EndpointInfo& endpoint);
  H1Pool& h1Pool(const ClusterInfo& cluster, const EndpointInfo& endpoint);
  H2Pool& h2Pool(const ClusterInfo& cluster, const EndpointInfo& endpoint);
  // Whether `key` is an endpoint of the live snapshot (else a finished connection closes).
  bool endpointLive(const std::string& key) const {
    return (live_endpoints_ != nullptr && live_endpoints_->contains(key)) || originalDstKey(key);
  }

 private:
  // ORIGINAL_DST clusters make an endpoint per destination: their pools are live while the
  // cluster is, and pools without connections are dropped (at each generation, and every
  // kOriginalDstSweep new ones) so that many destinations do not accumulate.
  static constexpr size_t kOriginalDstSweep = 256;
  bool originalDstKey(const std::string& key) const;
  void onNewOriginalDstPool();
  void dropUnusedPools();
  uint64_t nextSeed();
  size_t original_dst_pools_made_ = 0;
  std::vector<std::string> original_dst_prefixes_;  // "<cluster>|" of ORIGINAL_DST clusters
  event::Dispatcher& dispatcher_;
  WorkerStats& stats_;
  absl::flat_hash_map<std::string, std::unique_ptr<LoadBalancer>> lbs_;
  absl::flat_hash_map<std::string, std::unique_ptr<H1Pool>> pools_;
  absl::flat_hash_map<std::string, std::unique_ptr<H2Pool>> h2_pools_;
  // The live snapshot's endpoint keys (the worker keeps that snapshot until the next call of
  // onSnapshot); null before the first.
  const absl::flat_hash_set<std::string>* live_endpoints_ = nullptr;
  uint64_t seed_state_;  // nextSeed()
  absl::flat_hash_map<event::DeferredDeletable*, std::unique_ptr<event::DeferredDeletable>> detached_;
};

}  // namespace strait::proxy
