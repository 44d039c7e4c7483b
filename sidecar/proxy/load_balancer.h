// Per-worker load-balancer state for one cluster of one generation. Not thread-safe: each
// worker owns its own (no shared counters on the hot path).
#pragma once

#include <cstdint>
#include <memory>
#include <random>
#include <vector>

#include "sidecar/proxy/cluster_info.h"

namespace strait::proxy {

class LoadBalancer {
 public:
  explicit LoadBalancer(std::shared_ptr<const ClusterInfo> cluster);

  // Index of the chosen endpoint, or -1 if the cluster has none.
  int pick();
  const ClusterInfo& cluster() const { return *cluster_; }
  const std::shared_ptr<const ClusterInfo>& clusterPtr() const { return cluster_; }

 private:
  int pickSmoothWeighted();
  int pickRandom();

  std::shared_ptr<const ClusterInfo> cluster_;  // keeps the generation's data alive
  std::vector<int64_t> current_;                // smooth WRR running weights
  int64_t total_weight_ = 0;
  std::minstd_rand rng_;
};

}  // namespace strait::proxy
