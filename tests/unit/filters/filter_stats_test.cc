#include "sidecar/filters/filter_stats.h"

#include <gtest/gtest.h>

namespace strait::filters {
namespace {

TEST(FilterStats, CountersRenderGroupedWithScopeLabels) {
  auto& a = FilterStats::counter("strait_test_x_total", "Test counter.", "rc/vh/r1");
  auto& b = FilterStats::counter("strait_test_x_total", "ignored", "rc/\"q\"");
  EXPECT_EQ(&a, &FilterStats::counter("strait_test_x_total", "", "rc/vh/r1"));  // same counter again
  FilterStats::inc(a);
  FilterStats::inc(a);
  FilterStats::inc(b);
  std::string out;
  FilterStats::render(out);
  EXPECT_NE(out.find("# HELP strait_test_x_total Test counter.\n# TYPE strait_test_x_total counter\n"),
            std::string::npos) << out;
  EXPECT_NE(out.find("strait_test_x_total{scope=\"rc/vh/r1\"} 2\n"), std::string::npos) << out;
  EXPECT_NE(out.find("strait_test_x_total{scope=\"rc/\\\"q\\\"\"} 1\n"), std::string::npos) << out;
}

}  // namespace
}  // namespace strait::filters
