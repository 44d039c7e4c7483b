// Configuration pieces for the data-path unit tests, built the way the sidecar builds them:
// clusters through ClusterInfo::build (from a Cluster proto), routes as CompiledRoute
// values, snapshots holding both.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "sidecar/core/snapshot.h"
#include "sidecar/router/route_table.h"
#include "sidecar/upstream/cluster_info.h"

namespace strait::proxy::testing {

// Cluster `name` with one endpoint per weight: 127.0.0.<i+1>:<port>. `tweak` edits the proto
// (circuit breakers, timeouts, protocol) before the build.
inline std::shared_ptr<const ClusterInfo> testCluster(const std::string& name, std::vector<uint32_t> weights,
                                                      const std::function<void(strait::v1::Cluster&)>& tweak = nullptr,
                                                      uint32_t port = 8080) {
  strait::v1::Cluster cluster;
  cluster.set_name(name);
  if (tweak) tweak(cluster);
  strait::v1::ClusterLoadAssignment la;
  la.set_cluster_name(name);
  for (size_t i = 0; i < weights.size(); i++) {
    auto* ep = la.add_endpoints();
    ep->set_address(absl::StrCat("127.0.0.", i + 1));
    ep->set_port(port);
    ep->set_weight(weights[i]);
  }
  auto built = ClusterInfo::build(cluster, &la);
  EXPECT_TRUE(built.ok()) << built.status();
  return *built;
}

// A forwarding route to `cluster` (no retries, the default 15 s timeout).
inline std::unique_ptr<CompiledRoute> testRoute(const std::string& cluster) {
  auto route = std::make_unique<CompiledRoute>();
  route->name = "r";
  route->cluster = cluster;
  return route;
}

inline std::shared_ptr<Snapshot> testSnapshot(std::vector<std::shared_ptr<const ClusterInfo>> clusters) {
  auto snap = std::make_shared<Snapshot>();
  snap->version = "test";
  for (auto& c : clusters) snap->clusters[c->name] = c;
  return snap;
}

}  // namespace strait::proxy::testing
