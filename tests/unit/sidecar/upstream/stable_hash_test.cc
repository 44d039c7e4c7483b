#include "sidecar/upstream/stable_hash.h"

#include <gtest/gtest.h>

namespace strait::proxy {
namespace {

// Reference values from the xxHash library (XXH64, libxxhash 0.8.1), covering every input
// path: empty, the 1-byte tail, 4- and 8-byte tails, and the 32-byte stripes.
TEST(XxHash64, MatchesTheReference) {
  EXPECT_EQ(xxHash64(""), 0xEF46DB3751D8E999ULL);
  EXPECT_EQ(xxHash64("a"), 0xD24EC4F1A98C6E5BULL);
  EXPECT_EQ(xxHash64("abc"), 0x44BC2CF5AD770999ULL);
  EXPECT_EQ(xxHash64("127.0.0.1:8080_0"), 0xF673A43B9624FA24ULL);
  EXPECT_EQ(xxHash64("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"), 0x7639D419DE614EEDULL);
  EXPECT_EQ(xxHash64("", 1), 0xD5AFBA1336A3BE4BULL);
  EXPECT_EQ(xxHash64("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", 1),
            0x81DD3B89C389800AULL);
}

}  // namespace
}  // namespace strait::proxy
