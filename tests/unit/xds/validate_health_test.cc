// Validation of Cluster.health_check and Cluster.outlier_detection (xds/validate_health.cc).
#include <gtest/gtest.h>

#include "tests/unit/xds/test_config.h"
#include "xds/validate.h"
#include "xds/yaml_proto.h"

namespace strait::xds {
namespace {

using strait::v1::Generation;

// The good config with cluster 'api' extended by `yaml` (fields of a Cluster, one per line,
// indented by four spaces).
Generation withApi(const std::string& yaml) {
  std::string config = testing::kGoodConfig;
  const std::string api = "  - { name: api, connect_timeout: 1s }\n";
  size_t at = config.find(api);
  EXPECT_NE(at, std::string::npos);
  config.replace(at, api.size(), "  - name: api\n    connect_timeout: 1s\n" + yaml);
  Generation gen;
  absl::Status st = yamlToMessage(config, &gen);
  EXPECT_TRUE(st.ok()) << st;
  return gen;
}

std::string problems(const std::string& yaml) {
  absl::Status st = validateGeneration(withApi(yaml));
  return st.ok() ? "" : std::string(st.message());
}

void expectProblem(const std::string& yaml, const std::string& field, const std::string& reason) {
  std::string msg = problems(yaml);
  std::string prefix = "cluster 'api': " + field + ": ";
  size_t at = msg.find(prefix);
  ASSERT_NE(at, std::string::npos) << "got: " << msg << "\nwanted: " << prefix << reason;
  std::string line = msg.substr(at, msg.find('\n', at) - at);
  EXPECT_NE(line.find(reason), std::string::npos) << line << "\nwanted: " << reason;
}

TEST(ValidateHealth, GoodSettingsPass) {
  EXPECT_EQ(problems("    health_check:\n"
                     "      interval: 2s\n"
                     "      interval_jitter: 100ms\n"
                     "      timeout: 500ms\n"
                     "      unhealthy_threshold: 2\n"
                     "      healthy_threshold: 1\n"
                     "      http: { path: \"/health?deep=1\", host: api.local,"
                     " expected_statuses: [{ start: 200, end: 300 }, { start: 404, end: 405 }] }\n"
                     "    outlier_detection:\n"
                     "      consecutive_5xx: 3\n"
                     "      consecutive_gateway_failure: 0\n"
                     "      consecutive_local_origin_failure: 2\n"
                     "      base_ejection_time: 10s\n"
                     "      max_ejection_time: 1m\n"
                     "      max_ejection_percent: 100\n"),
            "");
  EXPECT_EQ(problems("    health_check: { interval: 10ms, tcp: {} }\n    outlier_detection: {}\n"), "");
}

TEST(ValidateHealth, HealthCheckIntervalAndTimeout) {
  expectProblem("    health_check: { tcp: {} }\n", "health_check.interval", "between 10ms and 1h");
  expectProblem("    health_check: { interval: 5ms, tcp: {} }\n", "health_check.interval", "between 10ms and 1h");
  expectProblem("    health_check: { interval: 2h, tcp: {} }\n", "health_check.interval", "between 10ms and 1h");
  expectProblem("    health_check: { interval: 1s, interval_jitter: -1s, tcp: {} }\n",
                "health_check.interval_jitter", "between 0 and 1h");
  expectProblem("    health_check: { interval: 1s, timeout: 61s, tcp: {} }\n", "health_check.timeout",
                "0 (the default) or between 1ms and 60s");
}

TEST(ValidateHealth, HealthCheckThresholds) {
  expectProblem("    health_check: { interval: 1s, unhealthy_threshold: 0, tcp: {} }\n",
                "health_check.unhealthy_threshold", "between 1 and 1000, got 0");
  expectProblem("    health_check: { interval: 1s, healthy_threshold: 0, tcp: {} }\n",
                "health_check.healthy_threshold", "between 1 and 1000, got 0");
  expectProblem("    health_check: { interval: 1s, healthy_threshold: 1001, tcp: {} }\n",
                "health_check.healthy_threshold", "got 1001");
}

TEST(ValidateHealth, HealthCheckKindAndHttp) {
  expectProblem("    health_check: { interval: 1s }\n", "health_check", "one of http, tcp is required");
  expectProblem("    health_check: { interval: 1s, http: {} }\n", "health_check.http.path", "required");
  expectProblem("    health_check: { interval: 1s, http: { path: health } }\n", "health_check.http.path",
                "must start with '/'");
  expectProblem("    health_check: { interval: 1s, http: { path: \"/a b\" } }\n", "health_check.http.path",
                "no spaces");
  expectProblem("    health_check: { interval: 1s, http: { path: /h, host: \"a b\" } }\n",
                "health_check.http.host", "spaces");
  expectProblem("    health_check: { interval: 1s, http: { path: /h, expected_statuses: [{ start: 200, end: 200 }] } }\n",
                "health_check.http.expected_statuses[0]", "100 <= start < end <= 600");
  expectProblem("    health_check: { interval: 1s, http: { path: /h, expected_statuses: "
                "[{ start: 200, end: 300 }, { start: 99, end: 601 }] } }\n",
                "health_check.http.expected_statuses[1]", "range [99, 601)");
}

TEST(ValidateHealth, OutlierDetection) {
  expectProblem("    outlier_detection: { max_ejection_percent: 101 }\n", "outlier_detection.max_ejection_percent",
                "between 0 and 100, got 101");
  expectProblem("    outlier_detection: { base_ejection_time: 2h }\n", "outlier_detection.base_ejection_time",
                "between 1ms and 1h");
  expectProblem("    outlier_detection: { base_ejection_time: -1s }\n", "outlier_detection.base_ejection_time",
                "between 1ms and 1h");
  expectProblem("    outlier_detection: { base_ejection_time: 10s, max_ejection_time: 5s }\n",
                "outlier_detection.max_ejection_time", "at least base_ejection_time (10000ms)");
  expectProblem("    outlier_detection: { max_ejection_time: 10s }\n", "outlier_detection.max_ejection_time",
                "at least base_ejection_time (30000ms)");
  expectProblem("    outlier_detection: { max_ejection_time: 25h }\n", "outlier_detection.max_ejection_time",
                "between 1ms and 24h");
}

}  // namespace
}  // namespace strait::xds
