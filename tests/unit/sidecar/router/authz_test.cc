#include "sidecar/router/authz.h"

#include <gtest/gtest.h>
#include <google/protobuf/util/json_util.h>

namespace strait::proxy {
namespace {

AuthzPolicy policy(const std::string& json) {
  strait::v1::AuthorizationPolicy p;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json, &p).ok());
  return AuthzPolicy(p);
}

const char* kWeb = "spiffe://strait.local/ns/prod/sa/web";
const char* kBatch = "spiffe://strait.local/ns/batch/sa/job";

TEST(Authz, EmptyPolicyAllowsEverything) {
  EXPECT_TRUE(policy("{}").evaluate("", "/", "GET").allowed);
}

TEST(Authz, AllowRulesRequireAMatch) {
  auto p = policy(R"({"rules": [{"name": "prod", "principals": ["spiffe://strait.local/ns/prod/*"]}]})");
  EXPECT_TRUE(p.evaluate(kWeb, "/x", "GET").allowed);
  EXPECT_FALSE(p.evaluate(kBatch, "/x", "GET").allowed);
  EXPECT_FALSE(p.evaluate("", "/x", "GET").allowed);  // plaintext peer has no identity
}

TEST(Authz, DenyWinsOverAllow) {
  auto p = policy(R"({"rules": [
      {"name": "all", "action": "ALLOW"},
      {"name": "no-admin-writes", "action": "DENY", "path_prefixes": ["/admin"], "methods": ["POST", "DELETE"]}]})");
  EXPECT_TRUE(p.evaluate(kWeb, "/admin", "GET").allowed);
  auto d = p.evaluate(kWeb, "/admin/users", "DELETE");
  EXPECT_FALSE(d.allowed);
  ASSERT_NE(d.rule, nullptr);
  EXPECT_EQ(*d.rule, "no-admin-writes");
  EXPECT_TRUE(p.evaluate(kWeb, "/public", "DELETE").allowed);
}

TEST(Authz, ExactPrincipal) {
  auto p = policy(std::string(R"({"rules": [{"name": "web", "principals": [")") + kWeb + R"("]}]})");
  EXPECT_TRUE(p.evaluate(kWeb, "/", "GET").allowed);
  EXPECT_FALSE(p.evaluate(std::string(kWeb) + "x", "/", "GET").allowed);
}

}  // namespace
}  // namespace strait::proxy
