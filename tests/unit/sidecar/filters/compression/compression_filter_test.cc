// The filter's decisions on the response head (exclusions, headers, framing) and its body
// path, without a proxy around it.
#include "sidecar/filters/compression/compression_filter.h"

#include <gtest/gtest.h>

#include "tests/unit/sidecar/filters/compression/decoders.h"

namespace strait::filters::compression {
namespace {

using http::BodyFraming;

struct Result {
  http::ResponseHead head;
  BodyFraming framing;
  uint64_t length;
  bool compressing;
};

class FilterTest : public ::testing::Test {
 protected:
  FilterTest() { config_ = *compileCompressionConfig(strait::v1::Compression{}); }

  std::unique_ptr<CompressionFilter> filter(const std::string& accept, const std::string& method = "GET") {
    auto f = std::make_unique<CompressionFilter>(config_);
    http::RequestHead req;
    req.method = method;
    req.target = "/";
    if (!accept.empty()) req.headers.add("accept-encoding", accept);
    EXPECT_EQ(f->onRequestHead(req, true), FilterStatus::kContinue);
    return f;
  }
  static http::ResponseHead response(int status = 200, const std::string& type = "text/html; charset=utf-8",
                                     uint64_t length = 1000) {
    http::ResponseHead h;
    h.status = status;
    if (!type.empty()) h.headers.add("content-type", type);
    h.headers.add("content-length", std::to_string(length));
    return h;
  }
  Result run(CompressionFilter& f, http::ResponseHead head, BodyFraming framing = BodyFraming::kContentLength,
             uint64_t length = 1000) {
    f.onResponseHead(head, framing, length);
    return {std::move(head), framing, length, f.transformsBody()};
  }
  Result run(const std::string& accept, http::ResponseHead head) { return run(*filter(accept), std::move(head)); }

  std::shared_ptr<const CompressionConfig> config_;
};

TEST_F(FilterTest, CompressesAndRewritesTheHead) {
  auto head = response();
  head.headers.add("etag", "\"abc\"");
  head.headers.add("vary", "origin");
  Result r = run("gzip, br", std::move(head));
  ASSERT_TRUE(r.compressing);
  EXPECT_EQ(*r.head.headers.get("content-encoding"), "br");
  EXPECT_EQ(r.head.headers.get("content-length"), nullptr);
  EXPECT_EQ(r.framing, BodyFraming::kChunked);
  EXPECT_EQ(*r.head.headers.get("vary"), "origin, accept-encoding");
  EXPECT_EQ(*r.head.headers.get("etag"), "W/\"abc\"");
}

TEST_F(FilterTest, WeakEtagAndExistingVaryKept) {
  auto head = response();
  head.headers.add("etag", "W/\"abc\"");
  head.headers.add("vary", "Accept-Encoding");
  Result r = run("gzip", std::move(head));
  ASSERT_TRUE(r.compressing);
  EXPECT_EQ(*r.head.headers.get("etag"), "W/\"abc\"");
  EXPECT_EQ(r.head.headers.count("vary"), 1u);
  EXPECT_EQ(*r.head.headers.get("vary"), "Accept-Encoding");
}

TEST_F(FilterTest, NoAcceptableEncodingStillAddsVary) {
  for (const char* accept : {"", "identity", "gzip;q=0, br;q=0, zstd;q=0", "deflate"}) {
    Result r = run(accept, response());
    EXPECT_FALSE(r.compressing) << accept;
    EXPECT_EQ(*r.head.headers.get("vary"), "accept-encoding") << accept;
    EXPECT_EQ(*r.head.headers.get("content-length"), "1000") << accept;
    EXPECT_EQ(r.framing, BodyFraming::kContentLength);
  }
}

TEST_F(FilterTest, ExcludedResponsesAreUntouched) {
  auto encoded = response();
  encoded.headers.add("content-encoding", "gzip");
  auto no_transform = response();
  no_transform.headers.add("cache-control", "public, No-Transform");
  auto ranged = response(200);
  ranged.headers.add("content-range", "bytes 0-9/100");
  const http::ResponseHead cases[] = {encoded, no_transform, ranged, response(206), response(204),
                                      response(200, "image/png"), response(200, ""),
                                      response(200, "text/html", 29)};
  for (const auto& head : cases) {
    auto f = filter("gzip, br, zstd");
    uint64_t length = std::stoull(*head.headers.get("content-length"));
    Result r = run(*f, head, BodyFraming::kContentLength, length);
    EXPECT_FALSE(r.compressing) << head.status;
    EXPECT_EQ(r.head.headers.get("vary"), nullptr) << head.status;
    EXPECT_EQ(r.framing, BodyFraming::kContentLength);
  }
}

// RFC 9110 15.4.5: a 304 carries the vary and etag the 200 would have carried.
TEST_F(FilterTest, NotModifiedCarriesTheVaryAndEtagOfItsFullResponse) {
  auto not_modified = [](const std::string& type) {
    http::ResponseHead h;
    h.status = 304;
    if (!type.empty()) h.headers.add("content-type", type);
    h.headers.add("etag", "\"v1\"");
    return h;
  };
  for (const std::string type : {"text/html", ""}) {
    Result r = run(*filter("gzip"), not_modified(type), BodyFraming::kNone, 0);
    EXPECT_FALSE(r.compressing);
    EXPECT_EQ(r.framing, BodyFraming::kNone);
    ASSERT_NE(r.head.headers.get("vary"), nullptr) << type;
    EXPECT_EQ(*r.head.headers.get("vary"), "accept-encoding");
    EXPECT_EQ(*r.head.headers.get("etag"), "W/\"v1\"");
    EXPECT_EQ(r.head.headers.get("content-encoding"), nullptr);
  }
  // A client that accepts no encoding: the 200 would carry vary but its strong etag.
  Result plain = run(*filter(""), not_modified("text/html"), BodyFraming::kNone, 0);
  EXPECT_EQ(*plain.head.headers.get("vary"), "accept-encoding");
  EXPECT_EQ(*plain.head.headers.get("etag"), "\"v1\"");
  // The 200 would not have been compressed: nothing added.
  auto no_transform = not_modified("text/html");
  no_transform.headers.add("cache-control", "no-transform");
  for (auto& head : {not_modified("image/png"), no_transform}) {
    Result r = run(*filter("gzip"), head, BodyFraming::kNone, 0);
    EXPECT_EQ(r.head.headers.get("vary"), nullptr);
    EXPECT_EQ(*r.head.headers.get("etag"), "\"v1\"");
  }
}

TEST_F(FilterTest, HeadRequestAndNoBody) {
  auto f = filter("gzip", "HEAD");
  EXPECT_FALSE(run(*f, response()).compressing);
  EXPECT_FALSE(run(*filter("gzip"), response(), BodyFraming::kNone, 0).compressing);
}

TEST_F(FilterTest, UnknownLengthAndThresholdCompress) {
  EXPECT_TRUE(run(*filter("gzip"), response(), BodyFraming::kChunked, 0).compressing);
  EXPECT_TRUE(run(*filter("gzip"), response(200, "text/html", 30), BodyFraming::kContentLength, 30).compressing);
  EXPECT_TRUE(run(*filter("gzip"), response(404, "application/json")).compressing);
}

TEST_F(FilterTest, IdentityContentEncodingIsReplaced) {
  auto head = response();
  head.headers.add("content-encoding", "identity");
  Result r = run("zstd", std::move(head));
  ASSERT_TRUE(r.compressing);
  EXPECT_EQ(r.head.headers.count("content-encoding"), 1u);
  EXPECT_EQ(*r.head.headers.get("content-encoding"), "zstd");
}

TEST_F(FilterTest, ConfiguredTypesWildcardAndThreshold) {
  strait::v1::Compression proto;
  proto.add_content_types("Text/*");
  proto.add_content_types("application/vnd.api+json");
  proto.set_min_content_length(0);
  proto.add_encodings("gzip");
  config_ = *compileCompressionConfig(proto);
  EXPECT_TRUE(run("gzip", response(200, "text/anything")).compressing);
  EXPECT_TRUE(run("gzip", response(200, "APPLICATION/vnd.api+json ; x=y")).compressing);
  EXPECT_FALSE(run("gzip", response(200, "application/json")).compressing);
  EXPECT_FALSE(run("br", response(200, "text/html")).compressing);  // br not configured
  EXPECT_TRUE(run(*filter("gzip"), response(200, "text/html", 1), BodyFraming::kContentLength, 1).compressing);
}

TEST_F(FilterTest, BodyRoundTripsThroughTheFilter) {
  for (const char* accept : {"gzip", "br", "zstd"}) {
    auto f = filter(accept);
    Result r = run(*f, response(), BodyFraming::kChunked, 0);
    ASSERT_TRUE(r.compressing);
    Encoding e = accept[0] == 'g' ? Encoding::kGzip : accept[0] == 'b' ? Encoding::kBrotli : Encoding::kZstd;
    std::string body, wire;
    for (int i = 0; i < 500; i++) {
      std::string chunk = "<p>paragraph " + std::to_string(i) + " of the page</p>\n";
      body += chunk;
      f->transformResponseData(chunk.data(), chunk.size(), &wire);
    }
    f->finishResponseData(&wire);
    std::string decoded;
    ASSERT_TRUE(testing::decodeAll(e, wire, &decoded)) << accept;
    EXPECT_EQ(decoded, body) << accept;
    EXPECT_LT(wire.size(), body.size()) << accept;
  }
}

}  // namespace
}  // namespace strait::filters::compression
