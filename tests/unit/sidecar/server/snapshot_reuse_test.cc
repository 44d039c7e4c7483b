// A generation that leaves a cluster unchanged keeps its compiled ClusterInfo (the same
// object: the workers keep its load balancer and nothing is rebuilt), and the live endpoint
// keys are collected by the builder; a changed cluster or assignment, or a TLS cluster, is
// built anew. Likewise a route table whose configuration has the same content is shared
// with the previous snapshot, not compiled again.
#include <gtest/gtest.h>
#include <google/protobuf/util/json_util.h>

#include "sidecar/server/snapshot_builder.h"

namespace strait::server {
namespace {

strait::v1::Generation parse(const std::string& json) {
  strait::v1::Generation g;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json, &g).ok()) << json;
  return g;
}

constexpr char kGen[] = R"({
  "clusters": [{"name": "a"}, {"name": "b", "connectTimeout": "1s"}],
  "loadAssignments": [{"clusterName": "a", "endpoints": [{"address": "10.0.0.1", "port": 80}]},
                      {"clusterName": "b", "endpoints": [{"address": "10.0.0.2", "port": 80},
                                                         {"address": "10.0.0.3", "port": 80}]}]})";

TEST(SnapshotReuse, UnchangedClustersKeepTheirObject) {
  BuildOptions options;
  auto first = buildSnapshot("1", parse(kGen), nullptr, options);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ((*first)->endpoint_keys.size(), 3u);
  strait::v1::Generation next = parse(kGen);
  next.mutable_load_assignments(1)->mutable_endpoints(1)->set_port(81);  // b changes, a does not
  auto second = buildSnapshot("2", next, first->get(), options);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ((*second)->clusters.at("a"), (*first)->clusters.at("a"));
  EXPECT_NE((*second)->clusters.at("b"), (*first)->clusters.at("b"));
  EXPECT_TRUE((*second)->endpoint_keys.contains("b|10.0.0.3:81"));
  EXPECT_FALSE((*second)->endpoint_keys.contains("b|10.0.0.3:80"));
  EXPECT_TRUE((*second)->endpoint_keys.contains("a|10.0.0.1:80"));
  // A change of the cluster itself, not only of its endpoints, is a new object too.
  strait::v1::Generation third = next;
  third.mutable_clusters(0)->mutable_connect_timeout()->set_seconds(2);
  auto built = buildSnapshot("3", third, second->get(), options);
  ASSERT_TRUE(built.ok()) << built.status();
  EXPECT_NE((*built)->clusters.at("a"), (*second)->clusters.at("a"));
  EXPECT_EQ((*built)->clusters.at("b"), (*second)->clusters.at("b"));
}

constexpr char kRoutes[] = R"({
  "routeConfigs": [{"name": "r1", "virtualHosts": [{"name": "v", "domains": ["*"],
                    "routes": [{"match": {"prefix": "/a"}, "route": {"cluster": "a"}}]}]},
                   {"name": "r2", "virtualHosts": [{"name": "v", "domains": ["*"],
                    "routes": [{"match": {"prefix": "/b"}, "route": {"cluster": "b"}}]}]}],
  "clusters": [{"name": "a"}, {"name": "b"}],
  "loadAssignments": [{"clusterName": "a", "endpoints": [{"address": "10.0.0.1", "port": 80}]},
                      {"clusterName": "b", "endpoints": [{"address": "10.0.0.2", "port": 80}]}]})";

TEST(SnapshotReuse, UnchangedRouteTablesAreSharedNotCompiled) {
  BuildReport report;
  auto first = buildSnapshot("1", parse(kRoutes), nullptr, {}, &report);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(report.route_tables_compiled, 2u);
  EXPECT_EQ(report.route_tables_reused, 0u);
  EXPECT_EQ(report.clusters_built, 2u);

  // Only an endpoint changes: both tables are the previous snapshot's objects.
  strait::v1::Generation next = parse(kRoutes);
  next.mutable_load_assignments(0)->mutable_endpoints(0)->set_port(81);
  report = {};
  auto second = buildSnapshot("2", next, first->get(), {}, &report);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ((*second)->route_tables.at("r1"), (*first)->route_tables.at("r1"));
  EXPECT_EQ((*second)->route_tables.at("r2"), (*first)->route_tables.at("r2"));
  EXPECT_EQ(report.route_tables_reused, 2u);
  EXPECT_EQ(report.clusters_built, 1u);
  EXPECT_EQ(report.clusters_reused, 1u);

  // r2 changes: compiled anew, and it routes by its new content; r1 is still shared.
  strait::v1::Generation third = next;
  third.mutable_route_configs(1)->mutable_virtual_hosts(0)->mutable_routes(0)->mutable_match()->set_prefix("/c");
  report = {};
  auto built = buildSnapshot("3", third, second->get(), {}, &report);
  ASSERT_TRUE(built.ok()) << built.status();
  EXPECT_EQ((*built)->route_tables.at("r1"), (*second)->route_tables.at("r1"));
  EXPECT_NE((*built)->route_tables.at("r2"), (*second)->route_tables.at("r2"));
  EXPECT_EQ(report.route_tables_compiled, 1u);
  EXPECT_EQ(report.route_tables_reused, 1u);
  http::HeaderMap headers;
  EXPECT_NE((*built)->route_tables.at("r2")->route("h", "/c/x", headers), nullptr);
  EXPECT_EQ((*built)->route_tables.at("r2")->route("h", "/b/x", headers), nullptr);
}

}  // namespace
}  // namespace strait::server
