#include "sidecar/router/path_normalizer.h"

#include <gtest/gtest.h>

namespace strait::proxy {
namespace {

std::string norm(std::string p, PathNormalizationOptions o = {}) {
  if (!normalizePath(&p, o)) return "<400>";
  return p;
}

TEST(PathNormalizer, RemovesDotSegments) {
  EXPECT_EQ(norm("/a/./b/../c"), "/a/c");
  EXPECT_EQ(norm("/a/b/.."), "/a/");
  EXPECT_EQ(norm("/a/b/."), "/a/b/");
  EXPECT_EQ(norm("/."), "/");
  EXPECT_EQ(norm("/"), "/");
  EXPECT_EQ(norm("/.hidden/..x/x.."), "/.hidden/..x/x..");  // only whole segments are dots
}

TEST(PathNormalizer, TraversalNeverClimbsAboveRoot) {
  EXPECT_EQ(norm("/../etc/passwd"), "/etc/passwd");
  EXPECT_EQ(norm("/a/../../../etc/passwd"), "/etc/passwd");
  EXPECT_EQ(norm("/.."), "/");
  EXPECT_EQ(norm("/public/../admin"), "/admin");
}

TEST(PathNormalizer, EncodedDotsAreDecodedBeforeDotRemoval) {
  EXPECT_EQ(norm("/public/%2e%2e/admin"), "/admin");
  EXPECT_EQ(norm("/public/%2E./admin"), "/admin");
  EXPECT_EQ(norm("/%7Euser/%41"), "/~user/A");  // unreserved decoded
  EXPECT_EQ(norm("/a%3fb%20c"), "/a%3Fb%20c");
}

TEST(PathNormalizer, ReservedEscapesKeptWithUpperCaseHex) {
  EXPECT_EQ(norm("/a%3fb"), "/a%3Fb");
  EXPECT_EQ(norm("/a%zz"), "/a%zz");  // malformed: left as it is
  EXPECT_EQ(norm("/a%2"), "/a%2");
}

TEST(PathNormalizer, EncodedSlashesKeptOrRejected) {
  EXPECT_EQ(norm("/a%2f..%2fb"), "/a%2F..%2Fb");  // not a dot segment: ".." is not whole
  EXPECT_EQ(norm("/a/..%2F..%2Fetc"), "/a/..%2F..%2Fetc");
  PathNormalizationOptions reject;
  reject.reject_encoded_slashes = true;
  EXPECT_EQ(norm("/a%2fb", reject), "<400>");
  EXPECT_EQ(norm("/a%5Cb", reject), "<400>");
  EXPECT_EQ(norm("/a/b", reject), "/a/b");
}

TEST(PathNormalizer, MergeSlashesOption) {
  EXPECT_EQ(norm("//a///b/"), "//a///b/");
  PathNormalizationOptions merge;
  merge.merge_slashes = true;
  EXPECT_EQ(norm("//a///b/", merge), "/a/b/");
  EXPECT_EQ(norm("//..//a", merge), "/a");
}

TEST(PathNormalizer, NonOriginFormUntouched) {
  EXPECT_EQ(norm("*"), "*");
  EXPECT_EQ(norm(""), "");
}

TEST(PathNormalizer, PercentDecode) {
  EXPECT_EQ(percentDecode("a%20b+c%2"), "a b+c%2");
  EXPECT_EQ(percentDecode("%E2%9C%93"), "\xE2\x9C\x93");
}

}  // namespace
}  // namespace strait::proxy
