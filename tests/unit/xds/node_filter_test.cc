#include "xds/node_filter.h"

#include <gtest/gtest.h>

#include "tests/unit/xds/test_config.h"
#include "xds/validate.h"

namespace strait::xds {
namespace {

TEST(NodeFilter, SelectsListenersAndWhatTheyReference) {
  strait::v1::Generation web = selectForService(testing::goodGeneration(), "web");
  ASSERT_EQ(web.listeners_size(), 1);
  EXPECT_EQ(web.listeners(0).name(), "ingress");
  ASSERT_EQ(web.route_configs_size(), 1);
  EXPECT_EQ(web.route_configs(0).name(), "main");
  ASSERT_EQ(web.clusters_size(), 2);  // api, canary (weighted) but not backend
  EXPECT_EQ(web.clusters(0).name(), "api");
  EXPECT_EQ(web.clusters(1).name(), "canary");
  EXPECT_EQ(web.load_assignments_size(), 2);
  EXPECT_TRUE(validateGeneration(web).ok());
}

TEST(NodeFilter, OtherServiceGetsItsOwnSlice) {
  strait::v1::Generation api = selectForService(testing::goodGeneration(), "api");
  ASSERT_EQ(api.listeners_size(), 1);
  EXPECT_EQ(api.listeners(0).name(), "egress");
  ASSERT_EQ(api.clusters_size(), 1);
  EXPECT_EQ(api.clusters(0).name(), "backend");
  EXPECT_TRUE(validateGeneration(api).ok());
}

// A listener's tcp_clusters are selected with it, with their load assignments.
TEST(NodeFilter, TcpClustersComeWithTheirListener) {
  strait::v1::Generation all = testing::goodGeneration();
  all.mutable_listeners(0)->set_use_original_dst(true);
  all.mutable_listeners(0)->add_tcp_clusters("backend");  // api's listener references it otherwise
  strait::v1::Generation web = selectForService(all, "web");
  ASSERT_EQ(web.clusters_size(), 3);
  EXPECT_EQ(web.clusters(2).name(), "backend");
  EXPECT_EQ(web.load_assignments_size(), 3);
}

TEST(NodeFilter, EmptyServicesMeansEveryone) {
  strait::v1::Generation all = testing::goodGeneration();
  all.mutable_listeners(1)->clear_services();
  EXPECT_EQ(selectForService(all, "web").listeners_size(), 2);
  EXPECT_EQ(selectForService(all, "nobody").listeners_size(), 1);
  EXPECT_EQ(selectForService(all, "nobody").clusters_size(), 1);
}

TEST(NodeFilter, UnknownServiceGetsNothing) {
  strait::v1::Generation none = selectForService(testing::goodGeneration(), "nobody");
  EXPECT_EQ(none.listeners_size(), 0);
  EXPECT_EQ(none.route_configs_size(), 0);
  EXPECT_EQ(none.clusters_size(), 0);
  EXPECT_EQ(none.load_assignments_size(), 0);
}

}  // namespace
}  // namespace strait::xds
