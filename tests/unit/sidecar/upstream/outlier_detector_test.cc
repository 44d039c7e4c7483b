// Outlier detection (sidecar/proxy/outlier_detector.cc): streaks, ejection time base x count
// (capped, reset after a quiet period), max_ejection_percent, return after the time, and one
// decision under concurrent reports. Time is injected (now_ms), nothing sleeps.
#include "sidecar/upstream/outlier_detector.h"

#include <gtest/gtest.h>
#include <google/protobuf/util/json_util.h>

#include <atomic>
#include <thread>
#include <vector>

#include "sidecar/upstream/cluster_info.h"
#include "sidecar/core/worker_stats.h"

namespace strait::proxy {
namespace {

// A cluster of `endpoints` endpoints on 127.0.0.1:8001.. with outlier detection `od_json`.
std::shared_ptr<const ClusterInfo> makeCluster(const std::string& od_json, int endpoints = 4) {
  strait::v1::Cluster cluster;
  std::string json = R"({"name": "c")" + (od_json.empty() ? "" : R"(, "outlier_detection": )" + od_json) + "}";
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json, &cluster).ok()) << json;
  strait::v1::ClusterLoadAssignment la;
  la.set_cluster_name("c");
  for (int i = 0; i < endpoints; i++) {
    auto* ep = la.add_endpoints();
    ep->set_address("127.0.0.1");
    ep->set_port(8001 + i);
  }
  auto info = ClusterInfo::build(cluster, &la);
  EXPECT_TRUE(info.ok()) << info.status();
  return *info;
}

const UpstreamResult k500 = UpstreamResult::response(500);
const UpstreamResult k503 = UpstreamResult::response(503);
const UpstreamResult k200 = UpstreamResult::response(200);

// Reports `result` n times at `now`; returns the last outcome.
OutlierOutcome report(const ClusterInfo& c, int endpoint, UpstreamResult result, int n, int64_t now) {
  OutlierOutcome last = OutlierOutcome::kNone;
  for (int i = 0; i < n; i++) last = reportUpstreamResult(c, c.endpoints[endpoint], result, now);
  return last;
}

TEST(OutlierDetector, DisabledClusterIsIgnored) {
  auto c = makeCluster("");
  EXPECT_EQ(report(*c, 0, k500, 100, 1000), OutlierOutcome::kNone);
  EXPECT_TRUE(c->endpoints[0].state->available(1000));
  EXPECT_EQ(c->endpoints[0].state->consecutive_5xx.load(), 0u);
}

TEST(OutlierDetector, EjectsAfterNConsecutive5xxForBaseTime) {
  auto c = makeCluster(R"({"consecutive_5xx": 3, "base_ejection_time": "10s"})");
  const HostState& s = *c->endpoints[1].state;
  EXPECT_EQ(report(*c, 1, k500, 2, 1000), OutlierOutcome::kNone);
  EXPECT_TRUE(s.available(1000));
  EXPECT_EQ(report(*c, 1, k500, 1, 1000), OutlierOutcome::kEjected);
  EXPECT_FALSE(s.available(1000));
  EXPECT_EQ(s.ejected_until_ms.load(), 11000);
  EXPECT_EQ(s.ejections.load(), 1u);
  EXPECT_EQ(s.consecutive_5xx.load(), 0u);
  EXPECT_EQ(ejectedCount(*c, 1000), 1u);
  // Returns by itself when the time is up.
  EXPECT_FALSE(s.available(10999));
  EXPECT_TRUE(s.available(11000));
  EXPECT_EQ(ejectedCount(*c, 11000), 0u);
  // Other endpoints are untouched.
  EXPECT_TRUE(c->endpoints[0].state->available(1000));
}

TEST(OutlierDetector, SuccessEndsTheStreak) {
  auto c = makeCluster(R"({"consecutive_5xx": 3})");
  report(*c, 0, k500, 2, 1000);
  report(*c, 0, k200, 1, 1000);
  EXPECT_EQ(report(*c, 0, k500, 2, 1000), OutlierOutcome::kNone);
  EXPECT_TRUE(c->endpoints[0].state->available(1000));
  report(*c, 0, UpstreamResult::response(404), 1, 1000);  // 4xx is a success here
  EXPECT_EQ(report(*c, 0, k500, 2, 1000), OutlierOutcome::kNone);
  EXPECT_EQ(report(*c, 0, k500, 1, 1000), OutlierOutcome::kEjected);
}

TEST(OutlierDetector, EjectionTimeIsBaseTimesCountCapped) {
  auto c = makeCluster(R"({"consecutive_5xx": 1, "base_ejection_time": "10s", "max_ejection_time": "25s"})");
  const HostState& s = *c->endpoints[0].state;
  int64_t now = 1000;
  std::vector<int64_t> durations;
  for (int i = 0; i < 4; i++) {
    ASSERT_EQ(report(*c, 0, k500, 1, now), OutlierOutcome::kEjected) << i;
    durations.push_back(s.ejected_until_ms.load() - now);
    now = s.ejected_until_ms.load() + 1;  // back, and failing again at once
  }
  EXPECT_EQ(durations, (std::vector<int64_t>{10000, 20000, 25000, 25000}));
  EXPECT_EQ(s.ejections.load(), 4u);
  // After max_ejection_time without an ejection the multiplier starts again.
  now = s.ejected_until_ms.load() + 25000;
  ASSERT_EQ(report(*c, 0, k500, 1, now), OutlierOutcome::kEjected);
  EXPECT_EQ(s.ejected_until_ms.load() - now, 10000);
  EXPECT_EQ(s.ejections.load(), 1u);
}

TEST(OutlierDetector, FailuresWhileEjectedDoNotExtendIt) {
  auto c = makeCluster(R"({"consecutive_5xx": 2, "base_ejection_time": "10s"})");
  report(*c, 0, k500, 2, 1000);
  EXPECT_EQ(report(*c, 0, k500, 5, 2000), OutlierOutcome::kNone);  // in-flight requests failing late
  EXPECT_EQ(c->endpoints[0].state->ejected_until_ms.load(), 11000);
  EXPECT_EQ(c->endpoints[0].state->ejections.load(), 1u);
}

TEST(OutlierDetector, MaxEjectionPercentIsNeverExceeded) {
  auto c = makeCluster(R"({"consecutive_5xx": 1, "max_ejection_percent": 50})", 4);
  EXPECT_EQ(report(*c, 0, k500, 1, 1000), OutlierOutcome::kEjected);
  EXPECT_EQ(report(*c, 1, k500, 1, 1000), OutlierOutcome::kEjected);
  EXPECT_EQ(report(*c, 2, k500, 1, 1000), OutlierOutcome::kOverflow);
  EXPECT_TRUE(c->endpoints[2].state->available(1000));
  EXPECT_EQ(ejectedCount(*c, 1000), 2u);
  // Once the first two are back, the third may go.
  EXPECT_EQ(report(*c, 2, k500, 1, 31000), OutlierOutcome::kEjected);
}

TEST(OutlierDetector, DefaultPercentLetsOneOfTwoGo) {
  auto c = makeCluster(R"({"consecutive_5xx": 1})", 2);
  EXPECT_EQ(report(*c, 0, k500, 1, 1000), OutlierOutcome::kEjected);
  EXPECT_EQ(report(*c, 1, k500, 1, 1000), OutlierOutcome::kOverflow);
  auto none = makeCluster(R"({"consecutive_5xx": 1, "max_ejection_percent": 0})", 2);
  EXPECT_EQ(report(*none, 0, k500, 1, 1000), OutlierOutcome::kOverflow);
}

TEST(OutlierDetector, GatewayFailuresOnly) {
  auto c = makeCluster(R"({"consecutive_5xx": 0, "consecutive_gateway_failure": 3,
                           "consecutive_local_origin_failure": 0})");
  EXPECT_EQ(report(*c, 0, k500, 10, 1000), OutlierOutcome::kNone);  // 500 is not a gateway error
  report(*c, 0, k503, 1, 1000);
  report(*c, 0, UpstreamResult::reset(), 1, 1000);
  EXPECT_EQ(report(*c, 0, UpstreamResult::timeout(), 1, 1000), OutlierOutcome::kEjected);
  report(*c, 1, UpstreamResult::response(502), 2, 1000);
  report(*c, 1, k500, 1, 1000);  // ends the gateway streak
  EXPECT_EQ(report(*c, 1, UpstreamResult::response(504), 2, 1000), OutlierOutcome::kNone);
}

TEST(OutlierDetector, ConnectFailuresOnly) {
  auto c = makeCluster(R"({"consecutive_5xx": 0, "consecutive_gateway_failure": 0,
                           "consecutive_local_origin_failure": 2})");
  report(*c, 0, UpstreamResult::connectFailure(), 1, 1000);
  report(*c, 0, k503, 1, 1000);  // a response (any status) proves the endpoint accepts connections
  EXPECT_EQ(report(*c, 0, UpstreamResult::connectFailure(), 1, 1000), OutlierOutcome::kNone);
  report(*c, 0, UpstreamResult::reset(), 1, 1000);  // says nothing about connecting
  EXPECT_EQ(report(*c, 0, UpstreamResult::connectFailure(), 1, 1000), OutlierOutcome::kEjected);
  EXPECT_EQ(UpstreamResult::afterReset("upstream_connect_failure").kind, UpstreamResult::Kind::kConnectFailure);
  EXPECT_EQ(UpstreamResult::afterReset("upstream_reset").kind, UpstreamResult::Kind::kReset);
}

TEST(OutlierDetector, StatsCountEjectionsAndOverflows) {
  auto c = makeCluster(R"({"consecutive_5xx": 1})", 2);
  WorkerStats stats;
  reportUpstreamResult(*c, c->endpoints[0], k500, 1000, stats);
  reportUpstreamResult(*c, c->endpoints[1], k500, 1000, stats);
  EXPECT_EQ(stats.outlier_ejections.load(), 1u);
  EXPECT_EQ(stats.outlier_ejections_overflow.load(), 1u);
}

TEST(OutlierDetector, ConcurrentReportsEjectOnceWithinThePercentage) {
  for (int round = 0; round < 50; round++) {
    auto c = makeCluster(R"({"consecutive_5xx": 3, "max_ejection_percent": 50})", 2);
    std::atomic<int> ejected{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; t++) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < 200; i++) {
          if (reportUpstreamResult(*c, c->endpoints[t % 2], k500, 1000) == OutlierOutcome::kEjected) ejected++;
        }
      });
    }
    for (auto& th : threads) th.join();
    ASSERT_LE(ejectedCount(*c, 1000), 1u) << round;
    ASSERT_EQ(ejected.load(), static_cast<int>(ejectedCount(*c, 1000))) << round;
    uint32_t ejections = c->endpoints[0].state->ejections.load() + c->endpoints[1].state->ejections.load();
    ASSERT_EQ(ejections, ejectedCount(*c, 1000)) << round;
  }
}

}  // namespace
}  // namespace strait::proxy
