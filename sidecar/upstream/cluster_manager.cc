#include "sidecar/upstream/cluster_manager.h"

namespace strait::proxy {

void ClusterManager::onSnapshot(const Snapshot& snapshot) {
  absl::flat_hash_map<std::string, std::unique_ptr<LoadBalancer>> lbs;
  live_endpoints_.clear();
  for (const auto& [name, cluster] : snapshot.clusters) {
    auto it = lbs_.find(name);
    if (it != lbs_.end() && it->second->clusterPtr() == cluster) {
      lbs.emplace(name, std::move(it->second));
    } else {
      lbs.emplace(name, std::make_unique<LoadBalancer>(cluster));
    }
    for (const auto& ep : cluster->endpoints) live_endpoints_[ep.key] = true;
  }
  lbs_ = std::move(lbs);
  original_dst_prefixes_.clear();
  for (const auto& [name, cluster] : snapshot.clusters) {
    if (cluster->original_dst) original_dst_prefixes_.push_back(name + "|");
  }
  // HTTP/1.1 pools of gone endpoints close their connections as their exchanges end.
  for (auto& [key, pool] : pools_) pool->setRetired(!live_endpoints_.contains(key) && !originalDstKey(key));
  dropUnusedPools();
}

// Pools of endpoints no generation lists (gone endpoints, and ORIGINAL_DST destinations,
// which are never listed) go once they have no connection.
void ClusterManager::dropUnusedPools() {
  for (auto it = h2_pools_.begin(); it != h2_pools_.end();) {
    if (!live_endpoints_.contains(it->first) && it->second->connections() == 0) h2_pools_.erase(it++);
    else ++it;
  }
  for (auto it = pools_.begin(); it != pools_.end();) {
    if (!live_endpoints_.contains(it->first) && it->second->total() == 0) pools_.erase(it++);
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
  if (!slot || slot->clusterPtr() != cluster) slot = std::make_unique<LoadBalancer>(cluster);
  return *slot;
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
