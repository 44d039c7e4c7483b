#include "sidecar/upstream/load_balancer.h"

#include <gtest/gtest.h>

#include "tests/unit/sidecar/upstream/lb_test_util.h"

namespace strait::proxy {
namespace {

using strait::v1::Cluster;
using testing::chiSquare;
using testing::equalWeights;
using testing::keyHash;
using testing::makeCluster;

// Chi-square critical values at p = 0.001: a correct balancer fails these one seed in 1000.
constexpr double kChi2Df3 = 16.27;
constexpr double kChi2Df9 = 27.88;
constexpr uint64_t kSeed = 42;

std::vector<int> countPicks(LoadBalancer& lb, int picks, const std::function<LbContext(int)>& context) {
  std::vector<int> counts(lb.cluster().endpoints.size(), 0);
  for (int i = 0; i < picks; i++) {
    int index = lb.pick(context(i));
    EXPECT_GE(index, 0);
    if (index >= 0) counts[static_cast<size_t>(index)]++;
  }
  return counts;
}

std::vector<int> countPicks(LoadBalancer& lb, int picks) {
  return countPicks(lb, picks, [](int) { return LbContext{}; });
}

void markDown(const ClusterInfo& cluster, std::initializer_list<int> endpoints) {
  for (int i : endpoints) cluster.endpoints[static_cast<size_t>(i)].state->health_check_failed = true;
}

TEST(LoadBalancer, SmoothWeightedRoundRobin) {
  LoadBalancer lb(makeCluster(Cluster::ROUND_ROBIN, {5, 1, 1}));
  std::vector<int> picks;
  for (int i = 0; i < 7; i++) picks.push_back(lb.pick({}));
  // nginx's smooth sequence for weights 5,1,1: a a b a c a a
  EXPECT_EQ(picks, (std::vector<int>{0, 0, 1, 0, 2, 0, 0}));
}

TEST(LoadBalancer, EqualWeightsRoundRobinInOrderSkippingDownEndpoints) {
  auto cluster = makeCluster(Cluster::ROUND_ROBIN, equalWeights(4));
  LoadBalancer lb(cluster);
  std::vector<int> picks;
  for (int i = 0; i < 6; i++) picks.push_back(lb.pick({}));
  EXPECT_EQ(picks, (std::vector<int>{0, 1, 2, 3, 0, 1}));
  markDown(*cluster, {2});
  picks.clear();
  for (int i = 0; i < 6; i++) picks.push_back(lb.pick({1, std::nullopt}));
  EXPECT_EQ(picks, (std::vector<int>{3, 0, 1, 3, 0, 1}));
}

TEST(LoadBalancer, RoundRobinGivesExactWeightSharesPerCycle) {
  std::vector<uint32_t> weights = {1, 2, 3, 4};
  LoadBalancer lb(makeCluster(Cluster::ROUND_ROBIN, weights));
  EXPECT_EQ(countPicks(lb, 1000), (std::vector<int>{100, 200, 300, 400}));
}

TEST(LoadBalancer, EmptyClusterHasNoPick) {
  for (auto policy : {Cluster::ROUND_ROBIN, Cluster::RANDOM, Cluster::LEAST_REQUEST, Cluster::RING_HASH,
                      Cluster::MAGLEV}) {
    LoadBalancer lb(makeCluster(policy, {}, [](Cluster& c) {
      c.mutable_lb_config()->mutable_hash_policy()->set_source_ip(true);
    }));
    EXPECT_EQ(lb.pick({0, 7}), -1) << Cluster::LbPolicy_Name(policy);
  }
}

TEST(LoadBalancer, RandomFollowsWeights) {
  std::vector<uint32_t> weights = {1, 2, 3, 4};
  LoadBalancer lb(makeCluster(Cluster::RANDOM, weights), kSeed);
  EXPECT_LT(chiSquare(countPicks(lb, 100000), weights), kChi2Df3);
}

TEST(LoadBalancer, RandomIsUniformOverEqualWeights) {
  LoadBalancer lb(makeCluster(Cluster::RANDOM, equalWeights(10)), kSeed);
  EXPECT_LT(chiSquare(countPicks(lb, 100000), equalWeights(10)), kChi2Df9);
}

TEST(LoadBalancer, LeastRequestIdleClusterFollowsWeights) {
  std::vector<uint32_t> weights = {1, 2, 3, 4};
  LoadBalancer lb(makeCluster(Cluster::LEAST_REQUEST, weights), kSeed);
  EXPECT_LT(chiSquare(countPicks(lb, 100000), weights), kChi2Df3);
}

TEST(LoadBalancer, LeastRequestAvoidsTheBusyEndpoint) {
  auto cluster = makeCluster(Cluster::LEAST_REQUEST, equalWeights(4));
  cluster->endpoints[0].state->active_requests = 10;
  cluster->endpoints[1].state->active_requests = 1;
  LoadBalancer lb(cluster, kSeed);
  std::vector<int> counts = countPicks(lb, 40000);
  // Endpoint 0 wins only when both choices are endpoint 0: 1/16 of the picks.
  EXPECT_NEAR(counts[0] / 40000.0, 1.0 / 16, 0.01);
  // Endpoint 1 wins against 0 and itself: (1/4)² + 2 × (1/4)(1/4) = 3/16.
  EXPECT_NEAR(counts[1] / 40000.0, 3.0 / 16, 0.01);
  EXPECT_GT(counts[2], counts[1]);
  EXPECT_GT(counts[3], counts[1]);
}

TEST(LoadBalancer, LeastRequestComparesLoadPerWeight) {
  // 4 in flight on weight 4 is lighter than 2 on weight 1.
  auto cluster = makeCluster(Cluster::LEAST_REQUEST, {1, 4});
  cluster->endpoints[0].state->active_requests = 2;
  cluster->endpoints[1].state->active_requests = 4;
  LoadBalancer lb(cluster, kSeed);
  std::vector<int> counts = countPicks(lb, 10000);
  // Endpoint 0 wins only when drawn twice: (1/5)².
  EXPECT_NEAR(counts[0] / 10000.0, 0.04, 0.01);
}

TEST(LoadBalancer, LeastRequestMoreChoicesAvoidHarder) {
  auto cluster = makeCluster(Cluster::LEAST_REQUEST, equalWeights(4), [](Cluster& c) {
    c.mutable_lb_config()->mutable_least_request()->set_choice_count(3);
  });
  cluster->endpoints[0].state->active_requests = 10;
  LoadBalancer lb(cluster, kSeed);
  EXPECT_NEAR(countPicks(lb, 40000)[0] / 40000.0, 1.0 / 64, 0.005);
}

// Simulated load: each pick holds its endpoint for a while; endpoint 0 holds requests ten
// times longer (a slow upstream). Least request sends it far fewer than its 1/4 share.
TEST(LoadBalancer, LeastRequestShiftsLoadOffASlowEndpoint) {
  auto cluster = makeCluster(Cluster::LEAST_REQUEST, equalWeights(4));
  LoadBalancer lb(cluster, kSeed);
  std::vector<std::pair<int, int>> in_flight;  // (finishes at tick, endpoint)
  std::vector<int> counts(4, 0);
  for (int tick = 0; tick < 20000; tick++) {
    for (size_t i = 0; i < in_flight.size();) {
      if (in_flight[i].first > tick) { i++; continue; }
      cluster->endpoints[static_cast<size_t>(in_flight[i].second)].state->active_requests--;
      in_flight[i] = in_flight.back();
      in_flight.pop_back();
    }
    int index = lb.pick({});
    counts[static_cast<size_t>(index)]++;
    cluster->endpoints[static_cast<size_t>(index)].state->active_requests++;
    in_flight.push_back({tick + (index == 0 ? 40 : 4), index});
  }
  EXPECT_LT(counts[0], 20000 / 10) << counts[0];
}

TEST(LoadBalancer, UnavailableEndpointsAreSkippedByEveryPolicy) {
  for (auto policy : {Cluster::ROUND_ROBIN, Cluster::RANDOM, Cluster::LEAST_REQUEST, Cluster::RING_HASH,
                      Cluster::MAGLEV}) {
    auto cluster = makeCluster(policy, equalWeights(10), [](Cluster& c) {
      if (c.lb_policy() == Cluster::RING_HASH || c.lb_policy() == Cluster::MAGLEV) {
        c.mutable_lb_config()->mutable_hash_policy()->set_header_name("x-user");
      }
    });
    markDown(*cluster, {3});
    cluster->endpoints[7].state->ejected_until_ms = 1000;  // outlier-ejected until t=1000
    LoadBalancer lb(cluster, kSeed);
    std::vector<int> counts = countPicks(lb, 20000, [](int i) { return LbContext{500, keyHash(i)}; });
    EXPECT_EQ(counts[3], 0) << Cluster::LbPolicy_Name(policy);
    EXPECT_EQ(counts[7], 0) << Cluster::LbPolicy_Name(policy);
    for (int i : {0, 1, 2, 4, 5, 6, 8, 9}) EXPECT_GT(counts[i], 20000 / 8 / 2) << Cluster::LbPolicy_Name(policy);
    // The ejection ends at t=1000: endpoint 7 is back.
    counts = countPicks(lb, 20000, [](int i) { return LbContext{1000, keyHash(i)}; });
    EXPECT_GT(counts[7], 20000 / 9 / 2) << Cluster::LbPolicy_Name(policy);
  }
}

TEST(LoadBalancer, RoundRobinSkipsDownEndpointsAndKeepsWeights) {
  std::vector<uint32_t> weights = {1, 2, 3, 4};
  auto cluster = makeCluster(Cluster::ROUND_ROBIN, weights);
  markDown(*cluster, {1});
  LoadBalancer lb(cluster);
  EXPECT_EQ(countPicks(lb, 800), (std::vector<int>{100, 0, 300, 400}));
}

TEST(LoadBalancer, AvailabilityChangesAreSeenTheNextMillisecond) {
  auto cluster = makeCluster(Cluster::ROUND_ROBIN, equalWeights(4));
  LoadBalancer lb(cluster);
  lb.pick({5, std::nullopt});
  markDown(*cluster, {0, 1});  // still half available: no panic
  std::vector<int> counts = countPicks(lb, 8, [](int) { return LbContext{6, std::nullopt}; });
  EXPECT_EQ(counts, (std::vector<int>{0, 0, 4, 4}));
}

TEST(LoadBalancer, PanicBelowThresholdUsesEveryEndpoint) {
  auto cluster = makeCluster(Cluster::RANDOM, equalWeights(10));  // default threshold 50%
  markDown(*cluster, {0, 1, 2, 3, 4, 5});                         // 40% available
  LoadBalancer lb(cluster, kSeed);
  std::vector<int> counts = countPicks(lb, 100000);
  EXPECT_TRUE(lb.panic());
  EXPECT_LT(chiSquare(counts, equalWeights(10)), kChi2Df9);
}

TEST(LoadBalancer, NoPanicAtTheThreshold) {
  auto cluster = makeCluster(Cluster::ROUND_ROBIN, equalWeights(10));
  markDown(*cluster, {0, 1, 2, 3, 4});  // exactly 50% available
  LoadBalancer lb(cluster);
  std::vector<int> counts = countPicks(lb, 100);
  EXPECT_FALSE(lb.panic());
  EXPECT_EQ(counts, (std::vector<int>{0, 0, 0, 0, 0, 20, 20, 20, 20, 20}));
}

TEST(LoadBalancer, PanicThresholdIsConfigurable) {
  auto cluster = makeCluster(Cluster::ROUND_ROBIN, equalWeights(10), [](Cluster& c) {
    c.set_healthy_panic_threshold(80);
  });
  markDown(*cluster, {0, 1, 2});  // 70% available < 80%
  LoadBalancer lb(cluster);
  EXPECT_EQ(countPicks(lb, 100), std::vector<int>(10, 10));
  EXPECT_TRUE(lb.panic());
}

TEST(LoadBalancer, AllDownPanicsByDefault) {
  auto cluster = makeCluster(Cluster::LEAST_REQUEST, equalWeights(3));
  markDown(*cluster, {0, 1, 2});
  LoadBalancer lb(cluster, kSeed);
  EXPECT_GE(lb.pick({}), 0);
  EXPECT_TRUE(lb.panic());
}

TEST(LoadBalancer, PanicDisabledUsesOnlyAvailableAndFailsWhenNoneAre) {
  for (auto policy : {Cluster::ROUND_ROBIN, Cluster::RANDOM, Cluster::LEAST_REQUEST, Cluster::RING_HASH,
                      Cluster::MAGLEV}) {
    auto cluster = makeCluster(policy, equalWeights(10), [](Cluster& c) {
      c.set_healthy_panic_threshold(0);
      if (c.lb_policy() == Cluster::RING_HASH || c.lb_policy() == Cluster::MAGLEV) {
        c.mutable_lb_config()->mutable_hash_policy()->set_source_ip(true);
      }
    });
    markDown(*cluster, {0, 1, 2, 3, 4, 5, 6, 7, 8});  // only endpoint 9 left
    LoadBalancer lb(cluster, kSeed);
    std::vector<int> counts = countPicks(lb, 1000, [](int i) { return LbContext{1, keyHash(i)}; });
    EXPECT_EQ(counts[9], 1000) << Cluster::LbPolicy_Name(policy);
    EXPECT_FALSE(lb.panic());
    markDown(*cluster, {9});
    EXPECT_EQ(lb.pick({2, keyHash(1)}), -1) << Cluster::LbPolicy_Name(policy);
  }
}

TEST(LoadBalancer, HashPoliciesAreStickyPerKey) {
  for (auto policy : {Cluster::RING_HASH, Cluster::MAGLEV}) {
    auto cluster = makeCluster(policy, equalWeights(10), [](Cluster& c) {
      c.mutable_lb_config()->mutable_hash_policy()->set_header_name("x-user");
    });
    LoadBalancer a(cluster, 1), b(cluster, 2);  // two workers
    for (int key = 0; key < 1000; key++) {
      int first = a.pick({0, keyHash(key)});
      EXPECT_EQ(a.pick({0, keyHash(key)}), first);
      EXPECT_EQ(b.pick({0, keyHash(key)}), first);
    }
  }
}

TEST(LoadBalancer, HashPoliciesWithoutAKeyPickAtRandomByWeight) {
  std::vector<uint32_t> weights = {1, 2, 3, 4};
  for (auto policy : {Cluster::RING_HASH, Cluster::MAGLEV}) {
    LoadBalancer lb(makeCluster(policy, weights, [](Cluster& c) {
      c.mutable_lb_config()->mutable_hash_policy()->set_cookie_name("session");
    }), kSeed);
    EXPECT_LT(chiSquare(countPicks(lb, 100000), weights), kChi2Df3) << Cluster::LbPolicy_Name(policy);
  }
}

TEST(LoadBalancer, HashPoliciesMoveOnlyTheDownEndpointsKeys) {
  for (auto policy : {Cluster::RING_HASH, Cluster::MAGLEV}) {
    auto cluster = makeCluster(policy, equalWeights(10), [](Cluster& c) {
      c.mutable_lb_config()->mutable_hash_policy()->set_header_name("x-user");
    });
    LoadBalancer lb(cluster, kSeed);
    std::vector<int> before;
    for (int key = 0; key < 10000; key++) before.push_back(lb.pick({0, keyHash(key)}));
    markDown(*cluster, {4});
    std::vector<int> moved_to(10, 0);
    for (int key = 0; key < 10000; key++) {
      int now = lb.pick({1, keyHash(key)});
      if (before[static_cast<size_t>(key)] != 4) {
        EXPECT_EQ(now, before[static_cast<size_t>(key)]) << Cluster::LbPolicy_Name(policy);
      } else {
        EXPECT_NE(now, 4);
        moved_to[static_cast<size_t>(now)]++;
      }
    }
    if (policy == Cluster::MAGLEV) {  // spread over the others, not dumped on one
      for (int i = 0; i < 10; i++) {
        if (i != 4) {
          EXPECT_GT(moved_to[static_cast<size_t>(i)], 0) << i;
        }
      }
    }
    // Back up: every key returns.
    cluster->endpoints[4].state->health_check_failed = false;
    for (int key = 0; key < 10000; key++) EXPECT_EQ(lb.pick({2, keyHash(key)}), before[static_cast<size_t>(key)]);
  }
}

TEST(ClusterInfoBuild, HashTablesOnlyForHashPoliciesAndReusedWhenUnchanged) {
  auto set_hash = [](Cluster& c) { c.mutable_lb_config()->mutable_hash_policy()->set_source_ip(true); };
  auto rr = makeCluster(Cluster::ROUND_ROBIN, equalWeights(3));
  EXPECT_EQ(rr->ring, nullptr);
  EXPECT_EQ(rr->maglev, nullptr);
  auto ring = makeCluster(Cluster::RING_HASH, equalWeights(3), set_hash);
  ASSERT_NE(ring->ring, nullptr);
  EXPECT_EQ(ring->ring->size(), 1026u);  // 342 points each (ceil(1024/3) × 3)
  auto same = makeCluster(Cluster::RING_HASH, equalWeights(3), set_hash, ring.get());
  EXPECT_EQ(same->ring, ring->ring);
  auto reweighted = makeCluster(Cluster::RING_HASH, {1, 1, 2}, set_hash, ring.get());
  EXPECT_NE(reweighted->ring, ring->ring);
  auto maglev = makeCluster(Cluster::MAGLEV, equalWeights(3), [](Cluster& c) {
    c.mutable_lb_config()->mutable_hash_policy()->set_source_ip(true);
    c.mutable_lb_config()->mutable_maglev()->set_table_size(251);
  });
  ASSERT_NE(maglev->maglev, nullptr);
  EXPECT_EQ(maglev->maglev->size(), 251u);
  EXPECT_EQ(maglev->hash_policy.kind, HashPolicy::Kind::kSourceIp);
  EXPECT_EQ(maglev->healthy_panic_threshold, 50u);
}

}  // namespace
}  // namespace strait::proxy
