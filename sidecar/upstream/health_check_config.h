// A cluster's active health-check settings, compiled from strait.v1.HealthCheck (defaults
// applied). Part of the immutable ClusterInfo; the health checker compares two of them to
// decide whether an endpoint's running checks may continue as they are.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "strait/v1/cluster.pb.h"

namespace strait::proxy {

struct HealthCheckConfig {
  bool enabled = false;               // the cluster has a health_check
  bool http = false;                  // HTTP check (else TCP connect)
  int64_t interval_ms = 0;            // between the end of one check and the next
  int64_t jitter_ms = 0;              // random 0..jitter_ms added to every interval
  int64_t timeout_ms = 1000;          // whole check: connect, TLS, response head
  uint32_t unhealthy_threshold = 3;   // failures in a row that mark the endpoint failed
  uint32_t healthy_threshold = 1;     // successes in a row that clear it
  std::string path;                   // HTTP: request target
  std::string host;                   // HTTP: Host header (the cluster name by default)
  std::vector<std::pair<int, int>> expected;  // HTTP: passing statuses, [first, second)

  // `cluster_name` is the default Host. Expects a validated cluster.
  static HealthCheckConfig fromProto(const strait::v1::Cluster& cluster);
  bool statusPasses(int status) const;
  bool operator==(const HealthCheckConfig& other) const;
  bool operator!=(const HealthCheckConfig& other) const { return !(*this == other); }
};

}  // namespace strait::proxy
