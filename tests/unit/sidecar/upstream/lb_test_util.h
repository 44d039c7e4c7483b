// Clusters and statistics shared by the load-balancing tests.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "sidecar/upstream/cluster_info.h"
#include "sidecar/upstream/stable_hash.h"

namespace strait::proxy::testing {

using strait::v1::Cluster;

// Endpoint i of a test cluster: 10.0.<i / 250>.<i % 250 + 1>:8080.
inline std::string endpointIp(int i) { return absl::StrCat("10.0.", i / 250, ".", i % 250 + 1); }

// A cluster of `weights.size()` endpoints built the way the sidecar builds it. `tweak` may
// edit the Cluster proto (lb_config, panic threshold) before the build.
inline std::shared_ptr<const ClusterInfo> makeCluster(
    Cluster::LbPolicy policy, const std::vector<uint32_t>& weights,
    const std::function<void(Cluster&)>& tweak = nullptr, const ClusterInfo* previous = nullptr) {
  Cluster cluster;
  cluster.set_name("c");
  cluster.set_lb_policy(policy);
  if (tweak) tweak(cluster);
  strait::v1::ClusterLoadAssignment la;
  la.set_cluster_name("c");
  for (size_t i = 0; i < weights.size(); i++) {
    auto* ep = la.add_endpoints();
    ep->set_address(endpointIp(static_cast<int>(i)));
    ep->set_port(8080);
    ep->set_weight(weights[i]);
  }
  auto built = ClusterInfo::build(cluster, &la, nullptr, previous);
  EXPECT_TRUE(built.ok()) << built.status();
  return *built;
}

inline std::vector<uint32_t> equalWeights(int n) { return std::vector<uint32_t>(static_cast<size_t>(n), 1); }

// Pearson's chi-square statistic of `counts` against shares proportional to `weights`.
inline double chiSquare(const std::vector<int>& counts, const std::vector<uint32_t>& weights) {
  double total = 0, weight_sum = 0;
  for (size_t i = 0; i < counts.size(); i++) {
    total += counts[i];
    weight_sum += weights[i];
  }
  double chi2 = 0;
  for (size_t i = 0; i < counts.size(); i++) {
    double expected = total * weights[i] / weight_sum;
    chi2 += (counts[i] - expected) * (counts[i] - expected) / expected;
  }
  return chi2;
}

// A well-spread request key hash, as lb_hash.h computes them.
inline uint64_t keyHash(int key) { return xxHash64(absl::StrCat("user-", key)); }

}  // namespace strait::proxy::testing
