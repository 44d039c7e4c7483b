#include "sidecar/proxy/cluster_info.h"

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"

namespace strait::proxy {
namespace {
int64_t durationMs(const google::protobuf::Duration& d) { return d.seconds() * 1000 + d.nanos() / 1000000; }
}  // namespace

absl::StatusOr<std::shared_ptr<const ClusterInfo>> ClusterInfo::build(
    const strait::v1::Cluster& cluster, const strait::v1::ClusterLoadAssignment* assignment,
    std::shared_ptr<const tls::ClientContext> tls, const ClusterInfo* previous) {
  auto info = std::make_shared<ClusterInfo>();
  info->name = cluster.name();
  info->tls = tls;
  std::string key_suffix = tls ? absl::StrCat("#tls:", tls->fingerprint()) : "";
  info->lb_policy = cluster.lb_policy();
  info->http2 = cluster.protocol() == strait::v1::Cluster::HTTP2;
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
      EndpointInfo endpoint{*addr, absl::StrCat(cluster.name(), "|", addr->toString(), key_suffix), ep.weight() == 0 ? 1u : ep.weight(),
                            tls, nullptr};
      if (auto old = previous_states.find(endpoint.key); old != previous_states.end()) endpoint.state = old->second;
      if (!endpoint.state) endpoint.state = std::make_shared<HostState>();
      info->endpoints.push_back(std::move(endpoint));
    }
  }
  return std::shared_ptr<const ClusterInfo>(std::move(info));
}

}  // namespace strait::proxy
