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
#include "strait/v1/cluster.pb.h"
#include "strait/v1/endpoint.pb.h"

namespace strait::proxy {

struct EndpointInfo {
  net::Address address;
  std::string key;       // "ip:port", identifies the endpoint across generations
  uint32_t weight = 1;
};

struct ClusterInfo {
  std::string name;
  strait::v1::Cluster::LbPolicy lb_policy = strait::v1::Cluster::ROUND_ROBIN;
  int64_t connect_timeout_ms = 5000;
  int64_t idle_timeout_ms = 60000;
  uint32_t max_connections = 1024;  // per worker
  uint32_t max_requests = 1024;     // per worker
  std::vector<EndpointInfo> endpoints;

  static absl::StatusOr<std::shared_ptr<const ClusterInfo>> build(
      const strait::v1::Cluster& cluster, const strait::v1::ClusterLoadAssignment* assignment);
};

}  // namespace strait::proxy
