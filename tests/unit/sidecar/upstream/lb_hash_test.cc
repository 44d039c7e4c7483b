#include "sidecar/upstream/lb_hash.h"
#include "sidecar/http/cookies.h"

#include <gtest/gtest.h>

#include "sidecar/upstream/stable_hash.h"

namespace strait::proxy {
namespace {

HashPolicy policy(const char* yaml_kind, const std::string& name) {
  strait::v1::LbConfig::HashPolicy proto;
  std::string kind = yaml_kind;
  if (kind == "header") proto.set_header_name(name);
  if (kind == "cookie") proto.set_cookie_name(name);
  if (kind == "source_ip") proto.set_source_ip(true);
  return HashPolicy::fromProto(proto);
}

http::RequestHead head(std::initializer_list<std::pair<std::string, std::string>> fields) {
  http::RequestHead h;
  for (const auto& [k, v] : fields) h.headers.add(k, v);
  return h;
}

TEST(LbHash, HeaderIsMatchedWithoutCaseAndHashed) {
  HashPolicy p = policy("header", "X-User");
  EXPECT_EQ(p.name, "x-user");
  EXPECT_EQ(requestHash(p, head({{"x-user", "alice"}}), "1.2.3.4"), xxHash64("alice"));
  EXPECT_EQ(requestHash(p, head({{"x-other", "alice"}}), "1.2.3.4"), std::nullopt);
}

TEST(LbHash, CookieIsFoundInAnyCookieField) {
  HashPolicy p = policy("cookie", "session");
  EXPECT_EQ(requestHash(p, head({{"cookie", "a=1; session=abc; b=2"}}), ""), xxHash64("abc"));
  EXPECT_EQ(requestHash(p, head({{"cookie", "a=1"}, {"cookie", "session=xyz"}}), ""), xxHash64("xyz"));
  EXPECT_EQ(requestHash(p, head({{"cookie", "sessionx=1; xsession=2"}}), ""), std::nullopt);
  EXPECT_EQ(requestHash(p, head({}), ""), std::nullopt);
}

TEST(LbHash, FindCookieParsesPairs) {
  EXPECT_EQ(http::findCookie("a=1;b=2", "b"), "2");
  EXPECT_EQ(http::findCookie(" a = 1 ;  b=", "b"), "");
  EXPECT_EQ(http::findCookie("a=1; a=2", "a"), "1");
  EXPECT_EQ(http::findCookie("flag; a=1", "flag"), std::nullopt);
  EXPECT_EQ(http::findCookie("", "a"), std::nullopt);
}

TEST(LbHash, SourceIpAndNone) {
  EXPECT_EQ(requestHash(policy("source_ip", ""), head({}), "10.1.2.3"), xxHash64("10.1.2.3"));
  EXPECT_EQ(requestHash(policy("source_ip", ""), head({}), ""), std::nullopt);
  EXPECT_EQ(requestHash(policy("none", ""), head({{"x-user", "a"}}), "10.1.2.3"), std::nullopt);
}

}  // namespace
}  // namespace strait::proxy
