// Bootstrap tokens: parsing, lookup, refusal.
#include "control/ca/token_auth.h"

#include <gtest/gtest.h>

namespace strait::ca {
namespace {

TEST(TokenAuth, LooksUpKnownTokensAndRefusesOthers) {
  auto auth = TokenAuthenticator::Parse(
      "tokens:\n"
      "- {token: web-token-1234, namespace: default, service_account: web}\n"
      "- {token: db-token-12345, namespace: data, service_account: db}\n");
  ASSERT_TRUE(auth.ok()) << auth.status();
  auto web = auth->Lookup("web-token-1234");
  ASSERT_TRUE(web.ok());
  EXPECT_EQ(web->ns, "default");
  EXPECT_EQ(web->service_account, "web");
  EXPECT_EQ(auth->Lookup("db-token-12345")->service_account, "db");
  auto bad = auth->Lookup("web-token-1235");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(bad.status().message().find("1235"), std::string::npos);  // never echoes tokens
  EXPECT_FALSE(auth->Lookup("").ok());
  EXPECT_FALSE(TokenAuthenticator().Lookup("web-token-1234").ok());
}

TEST(TokenAuth, RefusesBadEntriesWithoutPrintingTokens) {
  auto short_token = TokenAuthenticator::Parse("tokens: [{token: abc, namespace: a, service_account: b}]");
  EXPECT_FALSE(short_token.ok());
  auto bad_ns = TokenAuthenticator::Parse(
      "tokens: [{token: secret-token-x, namespace: 'a/b', service_account: b}]");
  ASSERT_FALSE(bad_ns.ok());
  EXPECT_EQ(bad_ns.status().message().find("secret-token-x"), std::string::npos);
  EXPECT_FALSE(TokenAuthenticator::Parse("[1, 2]").ok());
}

TEST(TokenAuth, BearerToken) {
  EXPECT_EQ(BearerToken("Bearer abc"), "abc");
  EXPECT_EQ(BearerToken("Bearer  abc \n"), "abc");
  EXPECT_EQ(BearerToken("Basic abc"), "");
  EXPECT_EQ(BearerToken(""), "");
}

}  // namespace
}  // namespace strait::ca
