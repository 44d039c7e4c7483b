// Latency histograms: each duration lands in the first bucket whose bound it does not
// exceed; the rendering is cumulative, in seconds, with _sum and _count, as Prometheus wants.
#include "sidecar/core/latency_histogram.h"

#include <gtest/gtest.h>

namespace strait::core {
namespace {

TEST(LatencyHistogram, BucketsAreCumulativeInSeconds) {
  LatencyHistogram h;
  h.record(0);
  h.record(1);     // <= 1 ms
  h.record(7);     // <= 10 ms
  h.record(250);   // <= 250 ms
  h.record(-5);    // clock oddity: counted as 0
  h.record(90000); // past the last bound: +Inf only
  EXPECT_EQ(h.count(), 6u);
  std::string out;
  LatencyHistogram::appendHeader(&out, "x_seconds", "Help.");
  h.appendPrometheus(&out, "x_seconds", "cluster=\"a\"");
  EXPECT_NE(out.find("# TYPE x_seconds histogram\n"), std::string::npos);
  EXPECT_NE(out.find("x_seconds_bucket{cluster=\"a\",le=\"0.001\"} 3\n"), std::string::npos) << out;
  EXPECT_NE(out.find("x_seconds_bucket{cluster=\"a\",le=\"0.005\"} 3\n"), std::string::npos) << out;
  EXPECT_NE(out.find("x_seconds_bucket{cluster=\"a\",le=\"0.01\"} 4\n"), std::string::npos) << out;
  EXPECT_NE(out.find("x_seconds_bucket{cluster=\"a\",le=\"0.25\"} 5\n"), std::string::npos) << out;
  EXPECT_NE(out.find("x_seconds_bucket{cluster=\"a\",le=\"60\"} 5\n"), std::string::npos) << out;
  EXPECT_NE(out.find("x_seconds_bucket{cluster=\"a\",le=\"+Inf\"} 6\n"), std::string::npos) << out;
  EXPECT_NE(out.find("x_seconds_sum{cluster=\"a\"} 90.258\n"), std::string::npos) << out;
  EXPECT_NE(out.find("x_seconds_count{cluster=\"a\"} 6\n"), std::string::npos) << out;
  std::string bare;
  h.appendPrometheus(&bare, "y", "");
  EXPECT_NE(bare.find("y_bucket{le=\"+Inf\"} 6\ny_sum 90.258\ny_count 6\n"), std::string::npos) << bare;
}

}  // namespace
}  // namespace strait::core
