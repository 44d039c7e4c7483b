#include "sidecar/proxy/load_balancer.h"

namespace strait::proxy {

LoadBalancer::LoadBalancer(std::shared_ptr<const ClusterInfo> cluster)
    : cluster_(std::move(cluster)), current_(cluster_->endpoints.size(), 0),
      rng_(static_cast<uint32_t>(std::random_device{}())) {
  for (const auto& ep : cluster_->endpoints) total_weight_ += ep.weight;
}

int LoadBalancer::pick() {
  if (cluster_->endpoints.empty()) return -1;
  if (cluster_->endpoints.size() == 1) return 0;
  if (cluster_->lb_policy == strait::v1::Cluster::RANDOM) return pickRandom();
  return pickSmoothWeighted();
}

// nginx's smooth weighted round robin: every endpoint gains its weight, the largest wins
// and pays the total back. Equal weights degrade to plain round robin.
int LoadBalancer::pickSmoothWeighted() {
  int best = 0;
  for (size_t i = 0; i < current_.size(); i++) {
    current_[i] += cluster_->endpoints[i].weight;
    if (current_[i] > current_[best]) best = static_cast<int>(i);
  }
  current_[best] -= total_weight_;
  return best;
}

int LoadBalancer::pickRandom() {
  int64_t point = static_cast<int64_t>(rng_() % static_cast<uint64_t>(total_weight_));
  for (size_t i = 0; i < cluster_->endpoints.size(); i++) {
    point -= cluster_->endpoints[i].weight;
    if (point < 0) return static_cast<int>(i);
  }
  return static_cast<int>(cluster_->endpoints.size()) - 1;
}

}  // namespace strait::proxy
