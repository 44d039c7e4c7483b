// `straitctl status --watch`'s change detection and convergence (control/straitctl/status_watch.h).
#include "control/straitctl/status_watch.h"

#include <gtest/gtest.h>

namespace strait::ctl {
namespace {

StatusSnapshot snapshot(const std::string& version) {
  StatusSnapshot s;
  s.config.set_version(version);
  return s;
}

strait::v1::SidecarStatus* add(StatusSnapshot* snap, const std::string& id, bool connected, const std::string& acked) {
  auto* s = snap->sidecars.add_sidecars();
  s->set_node_id(id);
  s->set_service("web");
  s->set_connected(connected);
  s->set_last_acked_version(acked);
  return s;
}

TEST(StatusWatch, FirstPollPrintsEverythingLaterOnlyChanges) {
  StatusSnapshot a = snapshot("1-a");
  add(&a, "web-1", true, "1-a");
  add(&a, "web-2", true, "1-a");
  auto first = statusChanges(nullptr, a);
  ASSERT_EQ(first.size(), 3u);
  EXPECT_EQ(first[0], "serving version 1-a");
  EXPECT_EQ(first[1].rfind("web-1 service=web connected=yes", 0), 0u) << first[1];
  EXPECT_TRUE(statusChanges(&a, a).empty());

  StatusSnapshot b = a;
  b.config.set_version("2-b");
  b.sidecars.mutable_sidecars(1)->set_last_nacked_version("2-b");
  b.sidecars.mutable_sidecars(1)->set_last_nack_message("listener 'x': bind\nsecond line");
  auto next = statusChanges(&a, b);
  ASSERT_EQ(next.size(), 2u);
  EXPECT_EQ(next[0], "serving version 2-b");
  EXPECT_NE(next[1].find("web-2 "), std::string::npos);
  EXPECT_NE(next[1].find("nack=\"listener 'x': bind; second line\""), std::string::npos) << next[1];
}

TEST(StatusWatch, RefusalAppearsAndClears) {
  StatusSnapshot a = snapshot("1-a");
  StatusSnapshot b = a;
  b.config.set_last_error("mesh.yaml: line 2: bad");
  EXPECT_EQ(statusChanges(&a, b), std::vector<std::string>{"config refused: mesh.yaml: line 2: bad"});
  EXPECT_EQ(statusChanges(&b, a), std::vector<std::string>{"config refusal cleared"});
}

TEST(StatusWatch, ConvergedWhenEveryConnectedSidecarAckedTheServedVersion) {
  StatusSnapshot s = snapshot("2-b");
  EXPECT_TRUE(converged(s));  // nobody connected
  add(&s, "web-1", true, "2-b");
  add(&s, "old", false, "1-a");  // disconnected: not waited for
  EXPECT_TRUE(converged(s));
  EXPECT_EQ(rolloutSummary(s), "1/1 connected sidecars acked 2-b");
  auto* lagging = add(&s, "web-2", true, "1-a");
  lagging->set_last_nacked_version("2-b");
  EXPECT_FALSE(converged(s));
  EXPECT_EQ(rolloutSummary(s), "1/2 connected sidecars acked 2-b; waiting for web-2 (nacked 2-b)");
}

}  // namespace
}  // namespace strait::ctl
