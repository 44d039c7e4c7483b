#include "sidecar/upstream/cluster_manager.h"

namespace strait::proxy {

// O(clusters) moves and no allocation beyond the new map: balancers of unchanged clusters
// (the builder kept their ClusterInfo) stay with their state; the others are made at their
// first pick. The live endpoint keys were collected by the builder, off the worker.
void ClusterManager::onSnapshot(const Snapshot& snapshot) {
  absl::flat_hash_map<std::string, std::unique_ptr<LoadBalancer>> lbs;
  lbs.reserve(snapshot.clusters.size());
  for (const auto& [name, cluster] : snapshot.clusters) {
    auto it = lbs_.find(name);
    if (it != lbs_.end() && it->second->clusterPtr() == cluster) lbs.emplace(name, std::move(it->second));
  }
  lbs_ = std::move(lbs);
  live_endpoints_ = &snapshot.endpoint_keys;
  original_dst_prefixes_.clear();
  for (const auto& [name, cluster] : snapshot.clusters) {
    if (cluster->original_dst) original_dst_prefixes_.push_back(name + "|");
  }
  // HTTP/1.1 pools of gone endpoints close their connections as their exchanges end.
  for (auto& [key, pool] : pools_) pool->setRetired(!live_endpoints_->contains(key) && !originalDstKey(key));
  dropUnusedPools();
}

// Pools of endpoints no generation lists (gone endpoints, and ORIGINAL_DST destinations,
// which are never listed) go once they have no connection.
void ClusterManager::dropUnusedPools() {
  if (live_endpoints_ == nullptr) return;
  for (auto it = h2_pools_.begin(); it != h2_pools_.end();) {
    if (!live_endpoints_->contains(it->first) && it->second->connections() == 0) h2_pools_.erase(it++);
    else ++it;
  }
  for (auto it = pools_.begin(); it != pools_.end();) {
    if (!live_endpoints_->contains(it->first) && it->second->total() == 0) pools_.erase(it++);
    else ++it;
  }
}

bool ClusterManager::originalDstKey(const std::string& key) const {
  for (const auto& prefix : original_dst_prefixes_) {
    if (key.compare(0, prefix.size(), prefix) == 0) return true;
  }
  return false;
}

void ClusterManager::onNewOriginalDstPool() {
  if (original_dst_pools_made_++ % kOriginalDstSweep == 0) dropUnusedPools();
}

UpstreamPool& ClusterManager::pool(const ClusterInfo& cluster, const EndpointInfo& endpoint) {
  if (cluster.http2) return h2Pool(cluster, endpoint);
  return h1Pool(cluster, endpoint);
}

H2Pool& ClusterManager::h2Pool(const ClusterInfo& cluster, const EndpointInfo& endpoint) {
  auto it = h2_pools_.find(endpoint.key);
  if (it != h2_pools_.end()) return *it->second;
  if (cluster.original_dst) onNewOriginalDstPool();  // before the insert: may erase
  auto& slot = h2_pools_[endpoint.key];
  slot = std::make_unique<H2Pool>(dispatcher_, endpoint.address, stats_, endpoint.tls, cluster.state);
  return *slot;
}

LoadBalancer& ClusterManager::loadBalancer(const std::shared_ptr<const ClusterInfo>& cluster) {
  auto& slot = lbs_[cluster->name];
  if (!slot || slot->clusterPtr() != cluster) slot = std::make_unique<LoadBalancer>(cluster, nextSeed());
  return *slot;
}

// splitmix64 over a state seeded once per worker: a balancer's seed costs no system call.
uint64_t ClusterManager::nextSeed() {
  uint64_t z = (seed_state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

H1Pool& ClusterManager::h1Pool(const ClusterInfo& cluster, const EndpointInfo& endpoint) {
  auto it = pools_.find(endpoint.key);
  if (it != pools_.end()) return *it->second;
  if (cluster.original_dst) onNewOriginalDstPool();  // before the insert: may erase
  auto& slot = pools_[endpoint.key];
  slot = std::make_unique<H1Pool>(dispatcher_, endpoint.address, stats_, endpoint.tls, cluster.state);
  return *slot;
}

void ClusterManager::adopt(std::unique_ptr<event::DeferredDeletable> exchange) {
  event::DeferredDeletable* key = exchange.get();
  detached_[key] = std::move(exchange);
}

void ClusterManager::release(event::DeferredDeletable* exchange) {
  auto it = detached_.find(exchange);
  if (it == detached_.end()) return;
  dispatcher_.deferredDelete(std::move(it->second));
  detached_.erase(it);
}

}  // namespace strait::proxy
