#include "sidecar/router/route_table.h"

#include <gtest/gtest.h>
#include <google/protobuf/util/json_util.h>

namespace strait::proxy {
namespace {

strait::v1::RouteConfiguration parse(const std::string& json) {
  strait::v1::RouteConfiguration rc;
  auto s = google::protobuf::util::JsonStringToMessage(json, &rc);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return rc;
}

http::HeaderMap headers(std::initializer_list<std::pair<std::string, std::string>> kv) {
  http::HeaderMap h;
  for (const auto& [k, v] : kv) h.add(k, v);
  return h;
}

const char* kConfig = R"({
  "name": "main",
  "virtual_hosts": [
    {"name": "exact", "domains": ["api.example.com"], "routes": [
      {"name": "exact-path", "match": {"path": "/health"}, "route": {"cluster": "health"}},
      {"name": "regex", "match": {"safe_regex": "/v[0-9]+/items/[a-z]+"}, "route": {"cluster": "items"}},
      {"name": "hdr", "match": {"prefix": "/", "headers": [{"name": "X-Canary", "exact_match": "1"}]},
       "route": {"cluster": "canary"}},
      {"name": "absent", "match": {"prefix": "/", "headers": [{"name": "x-debug", "present_match": true, "invert_match": true}]},
       "route": {"cluster": "main"}},
      {"name": "rest", "match": {"prefix": "/"}, "route": {"cluster": "debug"}}
    ]},
    {"name": "suffix", "domains": ["*.example.com"], "routes": [
      {"match": {"prefix": "/"}, "route": {"cluster": "wild"}}]},
    {"name": "prefix", "domains": ["shop.*"], "routes": [
      {"match": {"prefix": "/"}, "route": {"cluster": "shop"}}]},
    {"name": "default", "domains": ["*"], "routes": [
      {"match": {"prefix": "/only"}, "route": {"cluster": "default"}}]}
  ]})";

class RouteTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto t = RouteTable::build(parse(kConfig));
    ASSERT_TRUE(t.ok()) << t.status();
    table_ = std::move(*t);
  }
  std::string clusterFor(std::string_view host, std::string_view path, const http::HeaderMap& h = {}) {
    const CompiledRoute* r = table_->route(host, path, h);
    return r ? r->pickCluster(0) : "<none>";
  }
  std::unique_ptr<RouteTable> table_;
};

TEST_F(RouteTableTest, ExactDomainWinsAndPortIsIgnored) {
  EXPECT_EQ(clusterFor("api.example.com", "/health"), "health");
  EXPECT_EQ(clusterFor("API.Example.com:8080", "/health"), "health");
}

TEST_F(RouteTableTest, FirstMatchingRouteWins) {
  EXPECT_EQ(clusterFor("api.example.com", "/v2/items/abc"), "items");
  EXPECT_EQ(clusterFor("api.example.com", "/v2/items/ABC"), "main");  // regex is a full match
  EXPECT_EQ(clusterFor("api.example.com", "/health/x"), "main");      // exact path is exact
}

TEST_F(RouteTableTest, HeaderMatchers) {
  EXPECT_EQ(clusterFor("api.example.com", "/x", headers({{"x-canary", "1"}})), "canary");
  EXPECT_EQ(clusterFor("api.example.com", "/x", headers({{"x-canary", "2"}})), "main");
  EXPECT_EQ(clusterFor("api.example.com", "/x", headers({{"x-debug", "on"}})), "debug");
}

TEST_F(RouteTableTest, WildcardDomains) {
  EXPECT_EQ(clusterFor("www.example.com", "/"), "wild");
  EXPECT_EQ(clusterFor("shop.other.org", "/"), "shop");
  EXPECT_EQ(clusterFor("unknown.org", "/only/x"), "default");
  EXPECT_EQ(clusterFor("unknown.org", "/elsewhere"), "<none>");
}

TEST(RouteTableBuild, BadRegexIsAnErrorNamingTheRoute) {
  auto t = RouteTable::build(parse(R"({"name": "r", "virtual_hosts": [{"name": "v", "domains": ["*"],
      "routes": [{"match": {"safe_regex": "(["}, "route": {"cluster": "c"}}]}]})"));
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("route_config 'r'"), std::string::npos) << t.status();
  EXPECT_NE(t.status().message().find("safe_regex"), std::string::npos) << t.status();
}

TEST(RouteTableBuild, WeightedSplitFollowsWeights) {
  auto t = RouteTable::build(parse(R"({"name": "r", "virtual_hosts": [{"name": "v", "domains": ["*"],
      "routes": [{"match": {"prefix": "/"}, "route": {"weighted_clusters": {"clusters": [
        {"name": "a", "weight": 90}, {"name": "b", "weight": 10}]}}}]}]})"));
  ASSERT_TRUE(t.ok());
  const CompiledRoute* r = (*t)->route("h", "/", {});
  ASSERT_NE(r, nullptr);
  int a = 0;
  for (uint64_t i = 0; i < 1000; i++) a += r->pickCluster(i) == "a";
  EXPECT_EQ(a, 900);
}

}  // namespace
}  // namespace strait::proxy
