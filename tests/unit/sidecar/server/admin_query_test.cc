#include "sidecar/server/admin_query.h"

#include "gtest/gtest.h"

namespace strait::server {
namespace {

TEST(AdminQuery, SplitsPathAndDecodesParameters) {
  auto t = parseAdminTarget("/stats?filter=%5Estrait_(ads%7Cconfig)&format=json");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->path, "/stats");
  ASSERT_NE(t->query.get("filter"), nullptr);
  EXPECT_EQ(*t->query.get("filter"), "^strait_(ads|config)");
  EXPECT_EQ(*t->query.get("format"), "json");
  EXPECT_EQ(t->query.get("missing"), nullptr);
}

TEST(AdminQuery, NoQueryOrEmptyQuery) {
  for (const char* target : {"/ready", "/ready?", "/ready?&&", "/ready?&"}) {
    auto t = parseAdminTarget(target);
    ASSERT_TRUE(t.ok()) << target << ": " << t.status();
    EXPECT_EQ(t->path, "/ready");
    EXPECT_TRUE(t->query.empty()) << target;
  }
}

TEST(AdminQuery, PlusIsSpaceAndKeyAloneIsEmptyValue) {
  auto q = parseAdminQuery("name=a+b%2Bc&flag&x=");
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_EQ(*q->get("name"), "a b+c");
  EXPECT_EQ(*q->get("flag"), "");
  EXPECT_EQ(*q->get("x"), "");
}

TEST(AdminQuery, ValueMayHoldEqualsAndQuestionMark) {
  auto t = parseAdminTarget("/config_dump?resource=clusters&name=a=b?c");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(*t->query.get("name"), "a=b?c");
}

TEST(AdminQuery, BadPercentEncodingIsAnError) {
  for (const char* q : {"a=%", "a=%4", "a=%G1", "a=%4g", "%=1", "a=100%", "a=%%41"}) {
    auto parsed = parseAdminQuery(q);
    EXPECT_FALSE(parsed.ok()) << q;
    EXPECT_TRUE(absl::IsInvalidArgument(parsed.status())) << q;
  }
}

TEST(AdminQuery, DecodesEveryByteIncludingNul) {
  auto s = percentDecode("%00%ff%41%7e");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s, std::string("\0\xff" "A~", 4));
}

TEST(AdminQuery, EmptyKeyAndDuplicateKeyAreErrors) {
  EXPECT_FALSE(parseAdminQuery("=x").ok());
  auto encoded_equals = parseAdminQuery("%3D=1");  // an escaped '=' is part of the key
  ASSERT_TRUE(encoded_equals.ok());
  EXPECT_EQ(*encoded_equals->get("="), "1");
  auto dup = parseAdminQuery("level=debug&level=info");
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.status().message().find("'level' given twice"), std::string::npos);
  // Equal after decoding is the same key.
  EXPECT_FALSE(parseAdminQuery("level=debug&%6cevel=info").ok());
}

TEST(AdminQuery, AllowOnlyNamesTheUnknownParameter) {
  auto q = parseAdminQuery("filter=x&filer=y");
  ASSERT_TRUE(q.ok());
  EXPECT_TRUE(q->allowOnly({"filter", "filer"}).ok());
  absl::Status s = q->allowOnly({"filter", "format"});
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  EXPECT_NE(s.message().find("'filer'"), std::string::npos);
}

TEST(AdminQuery, ArbitraryBytesNeverCrash) {
  // Every 1- and 2-byte query, and some long ones: parsed or refused, never a crash.
  std::string q;
  for (int a = 0; a < 256; a++) {
    for (int b = 0; b < 256; b++) {
      q.assign({static_cast<char>(a), static_cast<char>(b)});
      (void)parseAdminTarget("/x?" + q);
    }
  }
  EXPECT_FALSE(parseAdminTarget("/x?" + std::string(100000, '%')).ok());
  EXPECT_TRUE(parseAdminTarget("/x?" + std::string(100000, '&')).ok());
}

}  // namespace
}  // namespace strait::server
