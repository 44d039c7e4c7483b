// Compiled health-check settings (sidecar/proxy/health_check_config.cc): defaults and status
// ranges.
#include "sidecar/upstream/health_check_config.h"

#include <gtest/gtest.h>
#include <google/protobuf/util/json_util.h>

namespace strait::proxy {
namespace {

HealthCheckConfig compile(const std::string& hc_json) {
  strait::v1::Cluster cluster;
  std::string json = R"({"name": "api")" + (hc_json.empty() ? "" : R"(, "health_check": )" + hc_json) + "}";
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json, &cluster).ok()) << json;
  return HealthCheckConfig::fromProto(cluster);
}

TEST(HealthCheckConfig, AbsentMeansDisabled) { EXPECT_FALSE(compile("").enabled); }

TEST(HealthCheckConfig, HttpDefaults) {
  HealthCheckConfig c = compile(R"({"interval": "2s", "http": {"path": "/health"}})");
  EXPECT_TRUE(c.enabled);
  EXPECT_TRUE(c.http);
  EXPECT_EQ(c.interval_ms, 2000);
  EXPECT_EQ(c.jitter_ms, 0);
  EXPECT_EQ(c.timeout_ms, 1000);
  EXPECT_EQ(c.unhealthy_threshold, 3u);
  EXPECT_EQ(c.healthy_threshold, 1u);
  EXPECT_EQ(c.host, "api");
  EXPECT_TRUE(c.statusPasses(200));
  EXPECT_TRUE(c.statusPasses(299));
  EXPECT_FALSE(c.statusPasses(300));
  EXPECT_FALSE(c.statusPasses(503));
}

TEST(HealthCheckConfig, ExplicitSettings) {
  HealthCheckConfig c = compile(R"({"interval": "0.1s", "interval_jitter": "0.05s", "timeout": "0.3s",
      "unhealthy_threshold": 2, "healthy_threshold": 4,
      "http": {"path": "/h", "host": "h.local", "expected_statuses": [{"start": 200, "end": 201}, {"start": 404, "end": 405}]}})");
  EXPECT_EQ(c.interval_ms, 100);
  EXPECT_EQ(c.jitter_ms, 50);
  EXPECT_EQ(c.timeout_ms, 300);
  EXPECT_EQ(c.unhealthy_threshold, 2u);
  EXPECT_EQ(c.healthy_threshold, 4u);
  EXPECT_EQ(c.host, "h.local");
  EXPECT_TRUE(c.statusPasses(200));
  EXPECT_FALSE(c.statusPasses(201));
  EXPECT_TRUE(c.statusPasses(404));
  HealthCheckConfig tcp = compile(R"({"interval": "1s", "tcp": {}})");
  EXPECT_FALSE(tcp.http);
  EXPECT_NE(c, tcp);
  EXPECT_EQ(c, compile(R"({"interval": "0.1s", "interval_jitter": "0.05s", "timeout": "0.3s",
      "unhealthy_threshold": 2, "healthy_threshold": 4,
      "http": {"path": "/h", "host": "h.local", "expected_statuses": [{"start": 200, "end": 201}, {"start": 404, "end": 405}]}})"));
}

}  // namespace
}  // namespace strait::proxy
