#include "sidecar/server/admin_stats_format.h"

#include "gtest/gtest.h"

namespace strait::server {
namespace {

constexpr const char* kText =
    "# HELP strait_downstream_rq_total Downstream responses by status class.\n"
    "# TYPE strait_downstream_rq_total counter\n"
    "strait_downstream_rq_total{code_class=\"2xx\"} 7\n"
    "strait_downstream_rq_total{code_class=\"5xx\"} 1\n"
    "# HELP strait_ads_connected 1 while the control-plane stream is up.\n"
    "# TYPE strait_ads_connected gauge\n"
    "strait_ads_connected 1\n"
    "# HELP strait_cluster_cx_active Open upstream connections.\n"
    "# TYPE strait_cluster_cx_active gauge\n"
    "strait_cluster_cx_active{cluster=\"a b\\\"c\"} 3\n"
    "# HELP strait_latency Request latency.\n"
    "# TYPE strait_latency histogram\n"
    "strait_latency_bucket{le=\"+Inf\"} 2\n"
    "strait_latency_sum 0.25\n"
    "strait_latency_count 2\n"
    "strait_orphan NaN\n";

std::unique_ptr<RE2> compile(const std::string& pattern) {
  auto re = compileStatsFilter(pattern);
  EXPECT_TRUE(re.ok()) << re.status();
  return re.ok() ? std::move(*re) : nullptr;
}

TEST(AdminStatsFormat, NoFilterKeepsEverything) { EXPECT_EQ(filterStats(kText, nullptr), kText); }

TEST(AdminStatsFormat, FilterKeepsWholeFamiliesWhoseNameMatches) {
  auto re = compile("rq_total|ads");
  EXPECT_EQ(filterStats(kText, re.get()),
            "# HELP strait_downstream_rq_total Downstream responses by status class.\n"
            "# TYPE strait_downstream_rq_total counter\n"
            "strait_downstream_rq_total{code_class=\"2xx\"} 7\n"
            "strait_downstream_rq_total{code_class=\"5xx\"} 1\n"
            "# HELP strait_ads_connected 1 while the control-plane stream is up.\n"
            "# TYPE strait_ads_connected gauge\n"
            "strait_ads_connected 1\n");
}

TEST(AdminStatsFormat, FilterMatchesFamilyNotLabelsOrSampleSuffix) {
  // "2xx" is in a label, not a family name; "_bucket" only in a sample's name.
  EXPECT_EQ(filterStats(kText, compile("2xx").get()), "");
  EXPECT_EQ(filterStats(kText, compile("_bucket").get()), "");
  std::string latency = filterStats(kText, compile("^strait_latency$").get());
  EXPECT_NE(latency.find("strait_latency_bucket{le=\"+Inf\"} 2\n"), std::string::npos);
  EXPECT_NE(latency.find("strait_latency_count 2\n"), std::string::npos);
  EXPECT_EQ(latency.find("orphan"), std::string::npos);
  // A sample with no HELP/TYPE of its own is a family of its own name.
  EXPECT_EQ(filterStats(kText, compile("orphan").get()), "strait_orphan NaN\n");
}

TEST(AdminStatsFormat, BadRegexIsInvalidArgumentWithRe2Error) {
  auto re = compileStatsFilter("strait_(ads");
  ASSERT_FALSE(re.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(re.status()));
  EXPECT_NE(re.status().message().find("missing )"), std::string::npos) << re.status();
}

TEST(AdminStatsFormat, JsonMapsSamplesWithLabelsToValues) {
  EXPECT_EQ(statsToJson(kText, nullptr),
            "{\n"
            "  \"strait_downstream_rq_total{code_class=\\\"2xx\\\"}\": 7,\n"
            "  \"strait_downstream_rq_total{code_class=\\\"5xx\\\"}\": 1,\n"
            "  \"strait_ads_connected\": 1,\n"
            "  \"strait_cluster_cx_active{cluster=\\\"a b\\\\\\\"c\\\"}\": 3,\n"
            "  \"strait_latency_bucket{le=\\\"+Inf\\\"}\": 2,\n"
            "  \"strait_latency_sum\": 0.25,\n"
            "  \"strait_latency_count\": 2,\n"
            "  \"strait_orphan\": \"NaN\"\n"
            "}\n");
}

TEST(AdminStatsFormat, JsonWithFilterAndNothingMatching) {
  EXPECT_EQ(statsToJson(kText, compile("^strait_ads_connected$").get()), "{\n  \"strait_ads_connected\": 1\n}\n");
  EXPECT_EQ(statsToJson(kText, compile("no_such_metric").get()), "{}\n");
}

}  // namespace
}  // namespace strait::server
