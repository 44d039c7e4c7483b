#include "sidecar/filters/access_control/access_control.h"

#include <gtest/gtest.h>

#include "google/protobuf/text_format.h"

namespace strait::filters {
namespace {

std::unique_ptr<const AccessPolicy> compile(const std::string& text) {
  strait::v1::AccessControl config;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &config)) << text;
  auto policy = AccessPolicy::compile(config);
  EXPECT_TRUE(policy.ok()) << policy.status();
  return policy.ok() ? std::move(*policy) : nullptr;
}

http::RequestHead requestHead(const std::string& method, const std::string& target,
                       std::vector<std::pair<std::string, std::string>> headers = {}) {
  http::RequestHead h;
  h.method = method;
  h.target = target;
  for (auto& [k, v] : headers) h.headers.add(k, v);
  return h;
}

AccessPolicy::Decision eval(const AccessPolicy& p, const http::RequestHead& head, const std::string& ip = "10.1.2.3") {
  IpAddress addr;
  bool known = IpAddress::parse(ip, &addr);
  return p.evaluate(head, known ? &addr : nullptr);
}

TEST(AccessPolicy, FirstMatchingRuleWins) {
  auto p = compile(R"(
    default_action: DENY
    rules { name: "block-admin" action: DENY path { prefix: "/admin" } }
    rules { name: "lan" action: ALLOW source_cidrs: "10.0.0.0/8" }
    rules { name: "late" action: DENY source_cidrs: "10.1.0.0/16" }
  )");
  auto d = eval(*p, requestHead("GET", "/admin/x"));
  EXPECT_FALSE(d.allow);
  EXPECT_EQ(p->ruleName(d.rule), "block-admin");
  d = eval(*p, requestHead("GET", "/app"));  // "lan" before "late"
  EXPECT_TRUE(d.allow);
  EXPECT_EQ(p->ruleName(d.rule), "lan");
  d = eval(*p, requestHead("GET", "/app"), "192.168.0.1");
  EXPECT_FALSE(d.allow);
  EXPECT_EQ(d.rule, -1);  // default
  d = eval(*p, requestHead("GET", "/app"), "not-an-ip");  // unknown client: CIDR rules never match
  EXPECT_EQ(d.rule, -1);
}

TEST(AccessPolicy, EveryConditionOfARuleMustMatch) {
  auto p = compile(R"(
    rules { action: DENY methods: "POST" methods: "PUT" path { exact: "/api/write" }
            headers { name: "X-Role" exact: "guest" } }
  )");
  EXPECT_FALSE(eval(*p, requestHead("POST", "/api/write?x=1", {{"x-role", "guest"}})).allow);  // query ignored
  EXPECT_EQ(p->ruleName(eval(*p, requestHead("PUT", "/api/write", {{"x-role", "guest"}})).rule), "rules[0]");
  EXPECT_TRUE(eval(*p, requestHead("GET", "/api/write", {{"x-role", "guest"}})).allow);
  EXPECT_TRUE(eval(*p, requestHead("POST", "/api/write/", {{"x-role", "guest"}})).allow);
  EXPECT_TRUE(eval(*p, requestHead("POST", "/api/write", {{"x-role", "admin"}})).allow);
  EXPECT_TRUE(eval(*p, requestHead("POST", "/api/write")).allow);
}

TEST(AccessPolicy, PathKindsAndCase) {
  auto p = compile(R"(
    rules { name: "re" action: DENY path { safe_regex: "/v[0-9]+/secret.*" } }
    rules { name: "ci" action: DENY path { prefix: "/Private" ignore_case: true } }
    rules { name: "cs" action: DENY path { exact: "/Exact" } }
  )");
  EXPECT_FALSE(eval(*p, requestHead("GET", "/v2/secret/x")).allow);
  EXPECT_TRUE(eval(*p, requestHead("GET", "/v2/public/secret")).allow);  // regex matches the whole path
  EXPECT_FALSE(eval(*p, requestHead("GET", "/PRIVATE/a")).allow);
  EXPECT_FALSE(eval(*p, requestHead("GET", "/Exact")).allow);
  EXPECT_TRUE(eval(*p, requestHead("GET", "/exact")).allow);
}

TEST(AccessPolicy, HeaderConditions) {
  auto p = compile(R"(
    rules { name: "no-token" action: DENY headers { name: "authorization" present: false } }
    rules { name: "bad-agent" action: DENY headers { name: "user-agent" safe_regex: ".*(bot|crawler).*" } }
    rules { name: "not-json" action: DENY headers { name: "accept" exact: "application/json" invert: true } }
  )");
  EXPECT_EQ(p->ruleName(eval(*p, requestHead("GET", "/")).rule), "no-token");
  EXPECT_EQ(p->ruleName(eval(*p, requestHead("GET", "/", {{"authorization", "x"}, {"user-agent", "goodbot 1"}})).rule),
            "bad-agent");
  EXPECT_EQ(p->ruleName(eval(*p, requestHead("GET", "/", {{"authorization", "x"}, {"accept", "text/html"}})).rule),
            "not-json");
  EXPECT_TRUE(eval(*p, requestHead("GET", "/", {{"authorization", "x"}, {"accept", "application/json"}})).allow);
}

TEST(AccessPolicy, InvertedSourceAndIpv6) {
  auto p = compile(R"(
    rules { name: "outsiders" action: DENY source_cidrs: "127.0.0.0/8" source_cidrs: "::1" invert_source: true }
  )");
  EXPECT_TRUE(eval(*p, requestHead("GET", "/"), "127.0.0.1").allow);
  EXPECT_TRUE(eval(*p, requestHead("GET", "/"), "::1").allow);
  EXPECT_FALSE(eval(*p, requestHead("GET", "/"), "10.0.0.1").allow);
  EXPECT_FALSE(eval(*p, requestHead("GET", "/"), "2001:db8::1").allow);
}

TEST(AccessPolicy, BadConfigNamesTheField) {
  strait::v1::AccessControl config;
  config.add_rules()->add_source_cidrs("10.0.0.0/8");
  config.add_rules()->add_source_cidrs("10.0.0.0/40");
  auto p = AccessPolicy::compile(config);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("rules[1].source_cidrs[0]"), std::string::npos) << p.status();
  config.Clear();
  config.add_rules()->mutable_path()->set_safe_regex("(");
  p = AccessPolicy::compile(config);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("rules[0].path.safe_regex: invalid regex"), std::string::npos) << p.status();
}

TEST(AccessPolicy, HeaderListSizeCountsLikeHttp2) {
  auto head = requestHead("GET", "/abc", {{"host", "example"}, {"x", "12345"}});
  // :method GET (7+3+32) + :path /abc (5+4+32) + host (4+7+32) + x (1+5+32)
  EXPECT_EQ(AccessPolicy::headerListSize(head), 42u + 41u + 43u + 38u);
}

}  // namespace
}  // namespace strait::filters
