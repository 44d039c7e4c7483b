// strait-control's metrics (control/control_metrics.h, control/prometheus_text.h).
#include "control/control_metrics.h"

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "tests/unit/control/prometheus_check.h"

namespace strait::control {
namespace {

using testing::prometheusTextProblem;

strait::v1::SidecarStatus sidecar(const std::string& id, bool connected, const std::string& acked) {
  strait::v1::SidecarStatus s;
  s.set_node_id(id);
  s.set_connected(connected);
  s.set_last_acked_version(acked);
  return s;
}

bool contains(const std::string& text, const std::string& line) {
  return text.find(absl::StrCat("\n", line, "\n")) != std::string::npos;
}

TEST(NackResources, OneEntryPerFailingResourceLine) {
  EXPECT_EQ(nackResources("listener 'ingress': address: bind: Address already in use"),
            (std::vector<std::string>{"listener 'ingress'"}));
  EXPECT_EQ(nackResources("listener 'a': x\r\nroute_config 'main': y: z\nlistener 'a': again\n"),
            (std::vector<std::string>{"listener 'a'", "route_config 'main'"}));
}

TEST(NackResources, LinesNamingNoResourceCountOnceAsUnknown) {
  EXPECT_EQ(nackResources("generation too large\nsomething else"), (std::vector<std::string>{"unknown"}));
  EXPECT_EQ(nackResources("cluster 'x': bad\nno resource here"),
            (std::vector<std::string>{"cluster 'x'", "unknown"}));
  EXPECT_EQ(nackResources("Listener 'x': capitalised kind"), (std::vector<std::string>{"unknown"}));
  EXPECT_EQ(nackResources("listener 'unterminated"), (std::vector<std::string>{"unknown"}));
  EXPECT_TRUE(nackResources("").empty());
}

TEST(ControlMetrics, NackCounterIsCappedWithTheRestUnderOther) {
  ControlMetrics m;
  for (size_t i = 0; i < ControlMetrics::kMaxNackResources + 20; ++i) {
    m.sidecarNacked(absl::StrCat("listener 'l", i, "': bind failed"));
  }
  m.sidecarNacked("listener 'l0': bind failed\nlistener 'l1': bind failed");  // known ones still count
  std::string text = m.render({});
  EXPECT_TRUE(contains(text, "strait_control_nacks_total{resource=\"listener 'l0'\"} 2")) << text;
  EXPECT_TRUE(contains(text, "strait_control_nacks_total{resource=\"listener 'l1'\"} 2")) << text;
  EXPECT_TRUE(contains(text, "strait_control_nacks_total{resource=\"other\"} 20")) << text;
  size_t series = 0;
  for (size_t pos = 0; (pos = text.find("\nstrait_control_nacks_total{", pos)) != std::string::npos; ++pos) ++series;
  EXPECT_EQ(series, ControlMetrics::kMaxNackResources + 1);
  EXPECT_EQ(prometheusTextProblem(text), "");
}

TEST(ControlMetrics, SidecarGaugesCountConnectedSidecarsByAckedVersion) {
  ControlMetrics m;
  std::string text = m.render({sidecar("a", true, "2-x"), sidecar("b", true, "2-x"), sidecar("c", true, "1-y"),
                               sidecar("d", false, "1-y"), sidecar("e", true, "")});
  EXPECT_TRUE(contains(text, "strait_control_sidecars_connected 4")) << text;
  EXPECT_TRUE(contains(text, "strait_control_sidecars_acked{version=\"2-x\"} 2")) << text;
  EXPECT_TRUE(contains(text, "strait_control_sidecars_acked{version=\"1-y\"} 1")) << text;
  EXPECT_EQ(text.find("version=\"\""), std::string::npos) << text;
  EXPECT_EQ(prometheusTextProblem(text), "");
}

TEST(ControlMetrics, CertificateAndConfigCounters) {
  ControlMetrics m;
  m.certificateIssued("spiffe://t/ns/a/sa/web", false);  // first issue, by token
  m.certificateIssued("spiffe://t/ns/a/sa/web", false);  // same identity again: renewal
  m.certificateIssued("spiffe://t/ns/a/sa/api", true);   // proven by its certificate: renewal
  m.certificateFailed();
  m.configLoaded(true);
  m.configLoaded(false);
  std::string text = m.render({});
  EXPECT_TRUE(contains(text, "strait_control_certificates_issued_total 3")) << text;
  EXPECT_TRUE(contains(text, "strait_control_certificate_renewals_total 2")) << text;
  EXPECT_TRUE(contains(text, "strait_control_certificate_failures_total 1")) << text;
  EXPECT_TRUE(contains(text, "strait_control_config_loads_accepted_total 1")) << text;
  EXPECT_TRUE(contains(text, "strait_control_config_loads_refused_total 1")) << text;
  EXPECT_TRUE(contains(text, "strait_control_config_last_load_refused 1")) << text;
  m.configLoaded(true);
  EXPECT_TRUE(contains(m.render({}), "strait_control_config_last_load_refused 0"));
}

TEST(ControlMetrics, PushLatencyCountsAFullRollout) {
  ControlMetrics m;
  m.sidecarConnected(1);
  m.versionPublished("2-b");
  EXPECT_TRUE(contains(m.render({}), "strait_control_push_latency_seconds_count 0"));
  m.sidecarAcked(1, "2-b");
  std::string text = m.render({});
  EXPECT_TRUE(contains(text, "strait_control_push_latency_seconds_count 1")) << text;
  EXPECT_TRUE(contains(text, "strait_control_push_latency_seconds_bucket{le=\"+Inf\"} 1")) << text;
  EXPECT_EQ(prometheusTextProblem(text), "");
}

TEST(PrometheusText, LabelValuesAreEscaped) {
  EXPECT_EQ(escapeLabelValue("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
  ControlMetrics m;
  m.sidecarNacked("listener 'we\"ird\\name': x");
  std::string text = m.render({});
  EXPECT_TRUE(contains(text, "strait_control_nacks_total{resource=\"listener 'we\\\"ird\\\\name'\"} 1")) << text;
  EXPECT_EQ(prometheusTextProblem(text), "");
}

TEST(PrometheusText, HistogramBucketsAreCumulativeAndInclusive) {
  Histogram h({0.1, 1, 10});
  h.observe(0.05);
  h.observe(0.1);  // on the bound: in the 0.1 bucket ("le")
  h.observe(5);
  h.observe(100);
  std::string text;
  h.render(&text, "x_seconds", "help");
  EXPECT_TRUE(contains(text, "x_seconds_bucket{le=\"0.1\"} 2")) << text;
  EXPECT_TRUE(contains(text, "x_seconds_bucket{le=\"1\"} 2")) << text;
  EXPECT_TRUE(contains(text, "x_seconds_bucket{le=\"10\"} 3")) << text;
  EXPECT_TRUE(contains(text, "x_seconds_bucket{le=\"+Inf\"} 4")) << text;
  EXPECT_TRUE(contains(text, "x_seconds_sum 105.15")) << text;
  EXPECT_TRUE(contains(text, "x_seconds_count 4")) << text;
  EXPECT_EQ(prometheusTextProblem(text), "");
}

TEST(PrometheusText, CheckerRejectsBrokenText) {  // the checker itself catches what it should
  EXPECT_NE(prometheusTextProblem("x 1\n"), "");  // undeclared
  EXPECT_NE(prometheusTextProblem("# TYPE x gauge\nx{a=\"b} 1\n"), "");
  EXPECT_NE(prometheusTextProblem("# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\n"), "");
  EXPECT_EQ(prometheusTextProblem("# TYPE x gauge\nx{a=\"b\"} 1\n"), "");
}

}  // namespace
}  // namespace strait::control
