// Delivery state per sidecar (control/sidecar_registry.h).
#include "control/sidecar_registry.h"

#include <gtest/gtest.h>

namespace strait::control {
namespace {

TEST(VersionNewer, OrdersBySequenceNumerically) {
  EXPECT_TRUE(versionNewer("10-abc", "9-def"));  // not string order
  EXPECT_FALSE(versionNewer("9-def", "10-abc"));
  EXPECT_TRUE(versionNewer("10", "9"));
  EXPECT_FALSE(versionNewer("3-a", "3-a"));
  EXPECT_TRUE(versionNewer("b", "a"));  // no sequence: string order
}

TEST(SidecarRegistry, AnAckOfANewerVersionClearsTheNackPast9) {
  SidecarRegistry registry;
  strait::v1::Node node;
  node.set_id("web-1");
  node.set_service("web");
  uint64_t token = registry.connected(node, "ipv4:127.0.0.1:1", "");
  registry.nacked("web-1", token, "9-aaaa", "bad route");
  registry.acked("web-1", token, "10-bbbb");
  auto list = registry.list();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].last_acked_version(), "10-bbbb");
  EXPECT_EQ(list[0].last_nacked_version(), "");  // was kept: "10-..." < "9-..." as strings
  EXPECT_EQ(list[0].last_nack_message(), "");
}

}  // namespace
}  // namespace strait::control
