// A Cluster and its endpoints, compiled for one generation. Immutable; shared read-only by
// every worker through the Snapshot (workers keep their mutable per-cluster state, such as
// load-balancer positions and connection pools, in ClusterManager).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "sidecar/net/address.h"
#include "sidecar/upstream/health_check_config.h"
#include "sidecar/upstream/hash_ring.h"
#include "sidecar/upstream/host_state.h"
#include "sidecar/upstream/outlier_config.h"
#include "sidecar/upstream/lb_hash.h"
#include "sidecar/upstream/maglev_table.h"
#include "sidecar/tls/client_context.h"
#include "strait/v1/cluster.pb.h"
#include "strait/v1/endpoint.pb.h"

namespace strait::proxy {

struct EndpointInfo {
  net::Address address;
  std::string host;  // the address as "ip:port" (%UPSTREAM_HOST%, logs)
  // Identifies the endpoint's connections across generations (the pool key):
  // "<cluster>|ip:port", plus "#tls:<fingerprint>" for TLS so plaintext and TLS (or
  // differently configured TLS) connections to one address never mix. Pools are per cluster
  // so the cluster's connection limit counts exactly its own connections.
  std::string key;
  uint32_t weight = 1;
  std::shared_ptr<const tls::ClientContext> tls = nullptr;  // the cluster's TLS; nullptr: plaintext
  // Shared, mutable health/load state (never null once built; see host_state.h).
  HostStatePtr state;
};

struct ClusterInfo {
  std::string name;
  strait::v1::Cluster::LbPolicy lb_policy = strait::v1::Cluster::ROUND_ROBIN;
  int64_t connect_timeout_ms = 5000;
  int64_t idle_timeout_ms = 60000;
  // Circuit breakers (whole sidecar; see cluster.proto).
  uint32_t max_connections = 1024;
  uint32_t max_requests = 1024;
  uint32_t max_pending_requests = 1024;
  uint32_t max_retries = 3;
  uint32_t retry_budget_percent = 0;  // 0: no budget, max_retries applies
  uint32_t min_retry_concurrency = 3;
  // Shared, mutable counters of the cluster (never null once built; see host_state.h).
  ClusterStatePtr state;
  bool http2 = false;               // Cluster.protocol == HTTP2
  // Cluster.type ORIGINAL_DST: no endpoints; each request's endpoint is made by
  // originalDestination() from its connection's original destination.
  bool original_dst = false;
  std::string endpoint_key_suffix;  // "#tls:<fingerprint>" with TLS (see EndpointInfo::key)
  std::vector<EndpointInfo> endpoints;
  std::shared_ptr<const tls::ClientContext> tls;  // TLS to the endpoints; nullptr: plaintext
  HealthCheckConfig health_check;  // active checks (health_check.enabled false: none)
  OutlierConfig outlier;           // passive checks (outlier.enabled false: none)
  // Load balancing (Cluster.lb_config, Cluster.healthy_panic_threshold).
  HashPolicy hash_policy;                 // RING_HASH / MAGLEV request key
  uint32_t healthy_panic_threshold = 50;  // percent; 0: never panic
  uint32_t choice_count = 2;              // LEAST_REQUEST candidates per pick
  uint64_t ring_min_size = HashRing::kDefaultMinSize;
  uint64_t ring_max_size = HashRing::kMaxSize;
  uint64_t maglev_size = MaglevTable::kDefaultSize;
  // Built once per generation (or kept from the previous one when the endpoints, weights
  // and sizes are unchanged); null unless the policy is RING_HASH / MAGLEV.
  std::shared_ptr<const HashRing> ring;
  std::shared_ptr<const MaglevTable> maglev;

  // An ORIGINAL_DST cluster's endpoint for one request: `address` with a fresh HostState.
  EndpointInfo originalDestination(const net::Address& address) const;

  // `previous`: the same-named cluster of the previous generation (or null); endpoints it
  // shares with this one (same key) keep their HostState.
  static absl::StatusOr<std::shared_ptr<const ClusterInfo>> build(
      const strait::v1::Cluster& cluster, const strait::v1::ClusterLoadAssignment* assignment,
      std::shared_ptr<const tls::ClientContext> tls = nullptr, const ClusterInfo* previous = nullptr);
};

}  // namespace strait::proxy
