#include "sidecar/upstream/cluster_info.h"

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"

namespace strait::proxy {
namespace {
int64_t durationMs(const google::protobuf::Duration& d) { return d.seconds() * 1000 + d.nanos() / 1000000; }

void setLbConfig(const strait::v1::Cluster& cluster, ClusterInfo* info) {
  const auto& lb = cluster.lb_config();
  info->hash_policy = HashPolicy::fromProto(lb.hash_policy());
  if (cluster.has_healthy_panic_threshold()) info->healthy_panic_threshold = cluster.healthy_panic_threshold();
  if (lb.least_request().choice_count() > 0) info->choice_count = lb.least_request().choice_count();
  if (lb.ring_hash().minimum_ring_size() > 0) info->ring_min_size = lb.ring_hash().minimum_ring_size();
  if (lb.ring_hash().maximum_ring_size() > 0) info->ring_max_size = lb.ring_hash().maximum_ring_size();
  if (lb.maglev().table_size() > 0) info->maglev_size = lb.maglev().table_size();
}

// Whether `previous`'s ring or table can serve `info`: same policy, sizes, and endpoints
// (addresses and weights, in order).
bool sameHashInputs(const ClusterInfo& info, const ClusterInfo& previous) {
  if (info.lb_policy != previous.lb_policy || info.ring_min_size != previous.ring_min_size ||
      info.ring_max_size != previous.ring_max_size || info.maglev_size != previous.maglev_size ||
      info.endpoints.size() != previous.endpoints.size()) {
    return false;
  }
  for (size_t i = 0; i < info.endpoints.size(); i++) {
    if (info.endpoints[i].key != previous.endpoints[i].key ||
        info.endpoints[i].weight != previous.endpoints[i].weight) {
      return false;
    }
  }
  return true;
}

void buildHashTable(ClusterInfo* info, const ClusterInfo* previous) {
  bool ring = info->lb_policy == strait::v1::Cluster::RING_HASH;
  bool maglev = info->lb_policy == strait::v1::Cluster::MAGLEV;
  if (!ring && !maglev) return;
  if (previous != nullptr && sameHashInputs(*info, *previous)) {
    info->ring = previous->ring;
    info->maglev = previous->maglev;
    return;
  }
  std::vector<HashTarget> targets;
  targets.reserve(info->endpoints.size());
  // The address without the TLS suffix of the key: a certificate rotation must not move keys.
  for (const auto& ep : info->endpoints) targets.push_back({ep.address.toString(), ep.weight});
  if (ring) info->ring = std::make_shared<const HashRing>(targets, info->ring_min_size, info->ring_max_size);
  if (maglev) info->maglev = std::make_shared<const MaglevTable>(targets, info->maglev_size);
}

}  // namespace

absl::StatusOr<std::shared_ptr<const ClusterInfo>> ClusterInfo::build(
    const strait::v1::Cluster& cluster, const strait::v1::ClusterLoadAssignment* assignment,
    std::shared_ptr<const tls::ClientContext> tls, const ClusterInfo* previous) {
  auto info = std::make_shared<ClusterInfo>();
  info->name = cluster.name();
  info->tls = tls;
  std::string key_suffix = tls ? absl::StrCat("#tls:", tls->fingerprint()) : "";
  info->endpoint_key_suffix = key_suffix;
  info->original_dst = cluster.type() == strait::v1::Cluster::ORIGINAL_DST;
  info->lb_policy = cluster.lb_policy();
  info->http2 = cluster.protocol() == strait::v1::Cluster::HTTP2;
  setLbConfig(cluster, info.get());
  if (cluster.has_connect_timeout() && durationMs(cluster.connect_timeout()) > 0) {
    info->connect_timeout_ms = durationMs(cluster.connect_timeout());
  }
  if (cluster.has_idle_timeout() && durationMs(cluster.idle_timeout()) > 0) {
    info->idle_timeout_ms = durationMs(cluster.idle_timeout());
  }
  if (cluster.circuit_breakers().max_connections() > 0) {
    info->max_connections = cluster.circuit_breakers().max_connections();
  }
  const auto& cb = cluster.circuit_breakers();
  if (cb.max_requests() > 0) info->max_requests = cb.max_requests();
  if (cb.max_pending_requests() > 0) info->max_pending_requests = cb.max_pending_requests();
  if (cb.max_retries() > 0) info->max_retries = cb.max_retries();
  if (cb.has_retry_budget()) {
    info->retry_budget_percent = cb.retry_budget().budget_percent() > 0 ? cb.retry_budget().budget_percent() : 20;
    if (cb.retry_budget().min_retry_concurrency() > 0) {
      info->min_retry_concurrency = cb.retry_budget().min_retry_concurrency();
    }
  }
  info->state = previous != nullptr ? previous->state : std::make_shared<ClusterState>();
  info->health_check = HealthCheckConfig::fromProto(cluster);
  info->outlier = OutlierConfig::fromProto(cluster);
  absl::flat_hash_map<std::string, HostStatePtr> previous_states;
  if (previous != nullptr) {
    for (const auto& old : previous->endpoints) previous_states.emplace(old.key, old.state);
  }
  if (assignment != nullptr) {
    for (int i = 0; i < assignment->endpoints_size(); i++) {
      const auto& ep = assignment->endpoints(i);
      auto addr = net::makeAddress(ep.address(), ep.port());
      if (!addr.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("load_assignment '", cluster.name(),
                                                       "': endpoints[", i, "]: ", addr.status().message()));
      }
      EndpointInfo endpoint{*addr, addr->toString(), absl::StrCat(cluster.name(), "|", addr->toString(), key_suffix),
                            ep.weight() == 0 ? 1u : ep.weight(), tls, nullptr};
      if (auto old = previous_states.find(endpoint.key); old != previous_states.end()) endpoint.state = old->second;
      if (!endpoint.state) endpoint.state = std::make_shared<HostState>();
      info->endpoints.push_back(std::move(endpoint));
    }
  }
  buildHashTable(info.get(), previous);
  return std::shared_ptr<const ClusterInfo>(std::move(info));
}

EndpointInfo ClusterInfo::originalDestination(const net::Address& address) const {
  std::string host = address.toString();
  std::string key = absl::StrCat(name, "|", host, endpoint_key_suffix);
  return EndpointInfo{address, std::move(host), std::move(key), 1, tls, std::make_shared<HostState>()};
}

}  // namespace strait::proxy
