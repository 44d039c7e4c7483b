#include "sidecar/filters/compression/accept_encoding.h"

#include <gtest/gtest.h>

namespace strait::filters::compression {
namespace {

const std::vector<Encoding> kPref = {Encoding::kZstd, Encoding::kBrotli, Encoding::kGzip};

std::optional<Encoding> choose(std::string_view value, const std::vector<Encoding>& pref = kPref) {
  return chooseEncoding(parseAcceptEncoding(value), pref);
}

TEST(AcceptEncodingTest, ParsesQValues) {
  AcceptEncoding a = parseAcceptEncoding("gzip;q=0.5, BR ; q=1.0, zstd;q=0.001, *;q=0");
  EXPECT_EQ(a.qOf(Encoding::kGzip), 500);
  EXPECT_EQ(a.qOf(Encoding::kBrotli), 1000);
  EXPECT_EQ(a.qOf(Encoding::kZstd), 1);
  EXPECT_EQ(a.star, 0);
}

TEST(AcceptEncodingTest, ClientQValueWinsOverServerPreference) {
  EXPECT_EQ(choose("gzip;q=1, zstd;q=0.9, br;q=0.8"), Encoding::kGzip);
  EXPECT_EQ(choose("gzip, br;q=0.9"), Encoding::kGzip);
}

TEST(AcceptEncodingTest, TiesGoToServerPreference) {
  EXPECT_EQ(choose("gzip, deflate, br, zstd"), Encoding::kZstd);
  EXPECT_EQ(choose("gzip, br"), Encoding::kBrotli);
  EXPECT_EQ(choose("gzip, br", {Encoding::kGzip, Encoding::kBrotli}), Encoding::kGzip);
  EXPECT_EQ(choose("zstd", {Encoding::kGzip}), std::nullopt);  // not configured
}

TEST(AcceptEncodingTest, QZeroExcludes) {
  EXPECT_EQ(choose("gzip;q=0"), std::nullopt);
  EXPECT_EQ(choose("gzip;q=0.000, br;q=0.0"), std::nullopt);
  EXPECT_EQ(choose("*, zstd;q=0, br;q=0"), Encoding::kGzip);
  EXPECT_EQ(choose("*;q=0"), std::nullopt);
}

TEST(AcceptEncodingTest, StarAndIdentity) {
  EXPECT_EQ(choose("*"), Encoding::kZstd);
  EXPECT_EQ(choose("identity"), std::nullopt);
  EXPECT_EQ(choose("identity;q=1, *;q=0.5"), Encoding::kZstd);
  EXPECT_EQ(choose("br;q=0.2, *;q=0.5"), Encoding::kZstd);  // zstd via *, above br's own 0.2
}

TEST(AcceptEncodingTest, EmptyAndUnknownAcceptNothing) {
  EXPECT_EQ(choose(""), std::nullopt);
  EXPECT_EQ(choose("deflate, compress"), std::nullopt);
  EXPECT_EQ(choose(" , ,"), std::nullopt);
}

TEST(AcceptEncodingTest, XGzipAndCase) {
  EXPECT_EQ(choose("x-gzip"), Encoding::kGzip);
  EXPECT_EQ(choose("GZIP;Q=0.5"), Encoding::kGzip);
}

TEST(AcceptEncodingTest, MalformedQValuesAreIgnored) {
  EXPECT_EQ(choose("zstd;q=2, gzip"), Encoding::kGzip);
  EXPECT_EQ(choose("zstd;q=1.5, gzip"), Encoding::kGzip);
  EXPECT_EQ(choose("zstd;q=0.1234, gzip;q=0.5"), Encoding::kGzip);
  EXPECT_EQ(choose("zstd;q=abc"), std::nullopt);
  EXPECT_EQ(choose("zstd;q="), std::nullopt);
  EXPECT_EQ(choose("zstd;q=1.000"), Encoding::kZstd);
}

TEST(AcceptEncodingTest, SeveralHeaderFieldsFormOneList) {
  http::HeaderMap h;
  h.add("accept-encoding", "gzip;q=0.5");
  h.add("accept-encoding", "br");
  EXPECT_EQ(chooseEncoding(parseAcceptEncoding(h), kPref), Encoding::kBrotli);
  EXPECT_EQ(chooseEncoding(parseAcceptEncoding(http::HeaderMap{}), kPref), std::nullopt);
}

}  // namespace
}  // namespace strait::filters::compression
