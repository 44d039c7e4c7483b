// A generation that leaves a cluster unchanged keeps its compiled ClusterInfo (the same
// object: the workers keep its load balancer and nothing is rebuilt), and the live endpoint
// keys are collected by the builder; a changed cluster or assignment, or a TLS cluster, is
// built anew.
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

}  // namespace
}  // namespace strait::server
