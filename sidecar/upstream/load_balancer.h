// Per-worker load-balancer state for one cluster of one generation. Not thread-safe: each
// worker owns its own (no shared counters on the hot path). What is shared is read-only
// (the ClusterInfo, its hash ring or Maglev table) or relaxed atomics (HostState).
//
// Policies (Cluster.lb_policy): ROUND_ROBIN (smooth weighted; an O(1) cursor when all weights
// are equal, which picks the same sequence), RANDOM (weighted),
// LEAST_REQUEST (weighted power of `choice_count` choices on HostState::active_requests),
// RING_HASH and MAGLEV (the request's hash from LbContext; a request without one gets a
// weighted random pick).
//
// AVAILABILITY: endpoints whose HostState says unavailable (health check failed, ejected)
// are skipped, unless fewer than healthy_panic_threshold percent of them are available
// (panic: every endpoint is used). The availability of all endpoints is sampled at most once
// per millisecond of LbContext::now_ms (so a pick costs O(1) atomic loads for most policies,
// and a state change is seen by the next millisecond's picks).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "sidecar/upstream/cluster_info.h"

namespace strait::proxy {

// What a pick may depend on besides the balancer's own state.
struct LbContext {
  int64_t now_ms = 0;             // steady clock, ms (HostState::available)
  std::optional<uint64_t> hash;   // the request's key hash (RING_HASH, MAGLEV); see lb_hash.h
};

class LoadBalancer {
 public:
  explicit LoadBalancer(std::shared_ptr<const ClusterInfo> cluster);
  // A fixed random seed, for tests.
  LoadBalancer(std::shared_ptr<const ClusterInfo> cluster, uint64_t seed);

  // Index of the chosen endpoint, or -1 if the cluster has none or (panic mode disabled)
  // none is available. Allocation-free.
  int pick(const LbContext& context);
  // Whether the last pick ran in panic mode (availability ignored).
  bool panic() const { return panic_; }
  const ClusterInfo& cluster() const { return *cluster_; }
  const std::shared_ptr<const ClusterInfo>& clusterPtr() const { return cluster_; }

 private:
  void refresh(int64_t now_ms);
  const uint8_t* usableMask() const { return all_usable_ ? nullptr : usable_.data(); }
  int pickSmoothWeighted();
  int pickRoundRobin();
  int pickRandom();
  int pickLeastRequest();
  uint64_t nextRandom();

  std::shared_ptr<const ClusterInfo> cluster_;  // keeps the generation's data alive
  std::vector<int64_t> current_;                // smooth WRR running weights
  bool equal_weights_ = true;                   // O(1) picks: a cursor (ROUND_ROBIN), a modulo
  size_t next_ = 0;                             // the cursor: next endpoint to try
  std::vector<uint8_t> usable_;                 // per endpoint, as of refreshed_ms_
  std::vector<uint64_t> cumulative_;            // running sum of usable weights (random picks)
  size_t usable_count_ = 0;
  bool all_usable_ = true;
  bool panic_ = false;
  int64_t refreshed_ms_ = INT64_MIN;
  uint64_t rng_state_;                          // splitmix64
};

}  // namespace strait::proxy
