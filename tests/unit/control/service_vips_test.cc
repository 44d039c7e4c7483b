// Service addresses: derived from namespace and name (the same on every control plane),
// inside the range and never its first or last address, pinned ones respected, one address
// per service across its clusters, collisions resolved, bad ranges refused.
#include "control/service_vips.h"

#include <gtest/gtest.h>

#include <set>

namespace strait::control {
namespace {

strait::v1::Cluster* addService(strait::v1::Generation* g, const std::string& name, const std::string& service,
                                const std::string& ns = "") {
  auto* c = g->add_clusters();
  c->set_name(name);
  c->set_type(strait::v1::Cluster::SERVICE);
  c->set_service(service);
  c->set_service_namespace(ns);
  c->set_service_port(80);
  return c;
}

TEST(ServiceVips, StableAndPerService) {
  auto vips = ServiceVips::create("240.240.0.0/16");
  ASSERT_TRUE(vips.ok()) << vips.status();
  strait::v1::Generation g;
  addService(&g, "api-http", "api");
  addService(&g, "api-grpc", "api");
  addService(&g, "db", "db", "data");
  g.add_clusters()->set_name("static");  // not a service: untouched
  EXPECT_EQ(vips->assign(&g), 0);
  EXPECT_EQ(g.clusters(0).service_vip(), g.clusters(1).service_vip());
  EXPECT_NE(g.clusters(0).service_vip(), g.clusters(2).service_vip());
  EXPECT_EQ(g.clusters(3).service_vip(), "");
  for (int i = 0; i < 3; i++) EXPECT_EQ(g.clusters(i).service_vip().rfind("240.240.", 0), 0u) << g.clusters(i).service_vip();
  // Another control plane (or a restart), another order of clusters: the same addresses.
  strait::v1::Generation again;
  addService(&again, "db", "db", "data");
  addService(&again, "api-grpc", "api");
  auto other = ServiceVips::create("240.240.0.0/16");
  other->assign(&again);
  EXPECT_EQ(again.clusters(0).service_vip(), g.clusters(2).service_vip());
  EXPECT_EQ(again.clusters(1).service_vip(), g.clusters(0).service_vip());
}

TEST(ServiceVips, PinnedAddressesAreKeptAndAvoided) {
  auto vips = ServiceVips::create("10.96.0.0/30");  // two usable addresses: .1 and .2
  ASSERT_TRUE(vips.ok()) << vips.status();
  strait::v1::Generation g;
  addService(&g, "a", "a")->set_service_vip("10.96.0.1");
  addService(&g, "a2", "a");  // the pinned address, for all of service a
  addService(&g, "b", "b");
  EXPECT_EQ(vips->assign(&g), 0);
  EXPECT_EQ(g.clusters(0).service_vip(), "10.96.0.1");
  EXPECT_EQ(g.clusters(1).service_vip(), "10.96.0.1");
  EXPECT_EQ(g.clusters(2).service_vip(), "10.96.0.2");
  addService(&g, "c", "c");  // no address left: reported, left empty
  g.mutable_clusters(2)->clear_service_vip();
  EXPECT_EQ(vips->assign(&g), 1);
  EXPECT_EQ(g.clusters(3).service_vip(), "");
}

TEST(ServiceVips, CollisionsGetDistinctAddresses) {
  auto vips = ServiceVips::create("198.19.0.0/29");  // 6 usable addresses for 6 services
  ASSERT_TRUE(vips.ok());
  strait::v1::Generation g;
  for (int i = 0; i < 6; i++) addService(&g, "s" + std::to_string(i), "s" + std::to_string(i));
  EXPECT_EQ(vips->assign(&g), 0);
  std::set<std::string> seen;
  for (const auto& c : g.clusters()) {
    EXPECT_NE(c.service_vip(), "198.19.0.0");
    EXPECT_NE(c.service_vip(), "198.19.0.7");
    seen.insert(c.service_vip());
  }
  EXPECT_EQ(seen.size(), 6u);
}

TEST(ServiceVips, Ipv6) {
  auto vips = ServiceVips::create("fd00:5::/64");
  ASSERT_TRUE(vips.ok()) << vips.status();
  strait::v1::Generation g;
  addService(&g, "api", "api");
  vips->assign(&g);
  EXPECT_EQ(g.clusters(0).service_vip().rfind("fd00:5::", 0), 0u) << g.clusters(0).service_vip();
}

TEST(ServiceVips, BadRangesAreRefused) {
  EXPECT_FALSE(ServiceVips::create("240.240.0.0").ok());
  EXPECT_FALSE(ServiceVips::create("240.240.0.0/33").ok());
  EXPECT_FALSE(ServiceVips::create("240.240.0.0/31").ok());  // fewer than 4 addresses
  EXPECT_FALSE(ServiceVips::create("api/16").ok());
  EXPECT_FALSE(ServiceVips::create("10.0.0.0/x").ok());
  // Host bits are ignored, as a range is meant.
  auto vips = ServiceVips::create("10.1.2.3/24");
  ASSERT_TRUE(vips.ok());
  strait::v1::Generation g;
  addService(&g, "api", "api");
  vips->assign(&g);
  EXPECT_EQ(g.clusters(0).service_vip().rfind("10.1.2.", 0), 0u);
}

}  // namespace
}  // namespace strait::control
