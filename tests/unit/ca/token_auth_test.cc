// Bootstrap tokens: parsing, lookup, refusal.
#include "control/ca/token_auth.h"

#include <gtest/gtest.h>

namespace strait::ca {
namespace {

TEST(TokenAuth, LooksUpKnownTokensAndRefusesOthers) {
  auto auth = TokenAuthenticator::parse(
      "tokens:\n"
      "- {token: web-token-1234, namespace: default, service_account: web}\n"
      "- {token: db-token-12345, namespace: data, service_account: db}\n");
  ASSERT_TRUE(auth.ok()) << auth.status();
  auto web = auth->lookup("web-token-1234");
  ASSERT_TRUE(web.ok());
  EXPECT_EQ(web->ns, "default");
  EXPECT_EQ(web->service_account, "web");
  EXPECT_EQ(auth->lookup("db-token-12345")->service_account, "db");
  auto bad = auth->lookup("web-token-1235");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(bad.status().message().find("1235"), std::string::npos);  // never echoes tokens
  EXPECT_FALSE(auth->lookup("").ok());
  EXPECT_FALSE(TokenAuthenticator().lookup("web-token-1234").ok());
}

TEST(TokenAuth, RefusesBadEntriesWithoutPrintingTokens) {
  auto short_token = TokenAuthenticator::parse("tokens: [{token: abc, namespace: a, service_account: b}]");
  EXPECT_FALSE(short_token.ok());
  auto bad_ns = TokenAuthenticator::parse(
      "tokens: [{token: secret-token-x, namespace: 'a/b', service_account: b}]");
  ASSERT_FALSE(bad_ns.ok());
  EXPECT_EQ(bad_ns.status().message().find("secret-token-x"), std::string::npos);
  EXPECT_FALSE(TokenAuthenticator::parse("[1, 2]").ok());
}

TEST(TokenAuth, BearerToken) {
  EXPECT_EQ(bearerToken("Bearer abc"), "abc");
  EXPECT_EQ(bearerToken("Bearer  abc \n"), "abc");
  EXPECT_EQ(bearerToken("Basic abc"), "");
  EXPECT_EQ(bearerToken(""), "");
}

}  // namespace
}  // namespace strait::ca
