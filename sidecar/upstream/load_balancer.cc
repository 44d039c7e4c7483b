#include "sidecar/upstream/load_balancer.h"

#include <algorithm>
#include <random>

namespace strait::proxy {

LoadBalancer::LoadBalancer(std::shared_ptr<const ClusterInfo> cluster)
    : LoadBalancer(std::move(cluster), (uint64_t{std::random_device{}()} << 32) | std::random_device{}()) {}

LoadBalancer::LoadBalancer(std::shared_ptr<const ClusterInfo> cluster, uint64_t seed)
    : cluster_(std::move(cluster)), current_(cluster_->endpoints.size(), 0),
      usable_(cluster_->endpoints.size(), 1), cumulative_(cluster_->endpoints.size(), 0),
      rng_state_(seed) {
  for (const auto& ep : cluster_->endpoints) equal_weights_ &= ep.weight == cluster_->endpoints[0].weight;
}

int LoadBalancer::pick(const LbContext& context) {
  if (cluster_->endpoints.empty()) return -1;
  refresh(context.now_ms);
  if (usable_count_ == 0) return -1;
  switch (cluster_->lb_policy) {
    case strait::v1::Cluster::RANDOM:
      return pickRandom();
    case strait::v1::Cluster::LEAST_REQUEST:
      return pickLeastRequest();
    case strait::v1::Cluster::RING_HASH:
      return context.hash && cluster_->ring ? cluster_->ring->pick(*context.hash, usableMask()) : pickRandom();
    case strait::v1::Cluster::MAGLEV:
      return context.hash && cluster_->maglev ? cluster_->maglev->pick(*context.hash, usableMask())
                                              : pickRandom();
    default:
      return equal_weights_ ? pickRoundRobin() : pickSmoothWeighted();
  }
}

// Samples every endpoint's availability, decides panic mode, and rebuilds what the
// policies read: the usable mask and the running weight sums.
void LoadBalancer::refresh(int64_t now_ms) {
  if (now_ms == refreshed_ms_) return;
  refreshed_ms_ = now_ms;
  const auto& endpoints = cluster_->endpoints;
  size_t available = 0;
  for (size_t i = 0; i < endpoints.size(); i++) {
    usable_[i] = endpoints[i].state->available(now_ms) ? 1 : 0;
    available += usable_[i];
  }
  uint32_t threshold = cluster_->healthy_panic_threshold;
  panic_ = threshold > 0 && available * 100 < uint64_t{threshold} * endpoints.size();
  if (panic_) std::fill(usable_.begin(), usable_.end(), 1);
  usable_count_ = panic_ ? endpoints.size() : available;
  all_usable_ = usable_count_ == endpoints.size();
  uint64_t sum = 0;
  for (size_t i = 0; i < endpoints.size(); i++) {
    if (usable_[i]) sum += endpoints[i].weight;
    cumulative_[i] = sum;
  }
}

// nginx's smooth weighted round robin: every usable endpoint gains its weight, the largest
// wins and pays the total back. Equal weights degrade to plain round robin.
int LoadBalancer::pickSmoothWeighted() {
  const auto& endpoints = cluster_->endpoints;
  int best = -1;
  int64_t total = 0;
  for (size_t i = 0; i < endpoints.size(); i++) {
    if (!usable_[i]) continue;
    current_[i] += endpoints[i].weight;
    total += endpoints[i].weight;
    if (best < 0 || current_[i] > current_[best]) best = static_cast<int>(i);
  }
  current_[best] -= total;
  return best;
}

// What smooth WRR does with equal weights (endpoints in order, skipping the unusable),
// without its O(n) pass.
int LoadBalancer::pickRoundRobin() {
  size_t n = cluster_->endpoints.size();
  while (true) {  // ends: at least one endpoint is usable
    size_t candidate = next_;
    next_ = next_ + 1 == n ? 0 : next_ + 1;
    if (usable_[candidate]) return static_cast<int>(candidate);
  }
}

// Weighted: a point in [0, usable weight) and the endpoint whose running sum passes it
// (unusable endpoints add nothing to the sum, so they are never found).
int LoadBalancer::pickRandom() {
  if (equal_weights_ && all_usable_) return static_cast<int>(nextRandom() % cluster_->endpoints.size());
  uint64_t point = nextRandom() % cumulative_.back();
  auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), point);
  return static_cast<int>(it - cumulative_.begin());
}

// Candidates drawn by weight; the one with the fewest requests in flight per unit of weight
// wins (cross-multiplied: a/wa < b/wb), ties to the first drawn. When nothing is in flight
// the first candidate wins, so the spread is exactly the weights'.
int LoadBalancer::pickLeastRequest() {
  const auto& endpoints = cluster_->endpoints;
  int best = pickRandom();
  uint64_t best_active = endpoints[best].state->active_requests.load(std::memory_order_relaxed);
  for (uint32_t c = 1; c < cluster_->choice_count; c++) {
    int candidate = pickRandom();
    uint64_t active = endpoints[candidate].state->active_requests.load(std::memory_order_relaxed);
    if (active * endpoints[best].weight < best_active * endpoints[candidate].weight) {
      best = candidate;
      best_active = active;
    }
  }
  return best;
}

uint64_t LoadBalancer::nextRandom() {
  uint64_t z = (rng_state_ += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

}  // namespace strait::proxy
