// Each encoder round-trips byte-exactly through its library's own decoder, in many small
// flushed chunks (each flush decodable on its own), unflushed chunks and one big chunk.
#include <gtest/gtest.h>

#include <random>

#include "sidecar/filters/compression/encoder.h"
#include "tests/unit/sidecar/filters/compression/decoders.h"

namespace strait::filters::compression {
namespace {

// JSON-ish text with repetition and some noise: compressible, but not trivially.
std::string corpus(size_t size, uint32_t seed = 1) {
  std::mt19937 rng(seed);
  std::string s;
  while (s.size() < size) {
    s += "{\"id\": " + std::to_string(rng() % 100000) + ", \"name\": \"user" + std::to_string(rng() % 977) +
         "\", \"tags\": [\"a\", \"b\"], \"score\": " + std::to_string(rng() % 1000) + "}\n";
    if (rng() % 7 == 0) s += static_cast<char>(rng() % 256);  // some binary noise
  }
  s.resize(size);
  return s;
}

class EncoderTest : public ::testing::TestWithParam<Encoding> {};

TEST_P(EncoderTest, ManySmallFlushedChunksDecodeAsTheyArrive) {
  const std::string input = corpus(200000);
  auto enc = makeEncoder(GetParam(), EncoderParams{});
  ASSERT_NE(enc, nullptr);
  auto dec = testing::makeDecoder(GetParam());
  std::string decoded;
  std::mt19937 rng(7);
  size_t pos = 0;
  while (pos < input.size()) {
    size_t n = std::min<size_t>(1 + rng() % 700, input.size() - pos);
    std::string out;
    ASSERT_TRUE(enc->write(input.data() + pos, n, /*flush=*/true, &out));
    pos += n;
    ASSERT_TRUE(dec->feed(out, &decoded));
    // A flush makes everything so far decodable: the client is never kept waiting.
    ASSERT_EQ(decoded.size(), pos);
  }
  std::string tail;
  ASSERT_TRUE(enc->finish(&tail));
  ASSERT_TRUE(dec->feed(tail, &decoded));
  EXPECT_TRUE(dec->finished());
  EXPECT_TRUE(decoded == input);
}

TEST_P(EncoderTest, UnflushedChunksAndEmptyWrites) {
  const std::string input = corpus(100000, 3);
  auto enc = makeEncoder(GetParam(), EncoderParams{});
  ASSERT_NE(enc, nullptr);
  std::string compressed;
  for (size_t pos = 0; pos < input.size(); pos += 1000) {
    ASSERT_TRUE(enc->write(input.data() + pos, std::min<size_t>(1000, input.size() - pos), false, &compressed));
    ASSERT_TRUE(enc->write(nullptr, 0, pos % 3000 == 0, &compressed));
  }
  ASSERT_TRUE(enc->finish(&compressed));
  std::string decoded;
  ASSERT_TRUE(testing::decodeAll(GetParam(), compressed, &decoded));
  EXPECT_TRUE(decoded == input);
}

TEST_P(EncoderTest, OneBigChunkCompresses) {
  const std::string input = corpus(8 << 20, 5);
  auto enc = makeEncoder(GetParam(), EncoderParams{});
  ASSERT_NE(enc, nullptr);
  std::string compressed;
  ASSERT_TRUE(enc->write(input.data(), input.size(), true, &compressed));
  ASSERT_TRUE(enc->finish(&compressed));
  EXPECT_LT(compressed.size(), input.size() / 2);
  std::string decoded;
  ASSERT_TRUE(testing::decodeAll(GetParam(), compressed, &decoded));
  EXPECT_TRUE(decoded == input);
}

TEST_P(EncoderTest, EmptyBody) {
  auto enc = makeEncoder(GetParam(), EncoderParams{});
  ASSERT_NE(enc, nullptr);
  std::string compressed;
  ASSERT_TRUE(enc->finish(&compressed));
  std::string decoded;
  ASSERT_TRUE(testing::decodeAll(GetParam(), compressed, &decoded));
  EXPECT_TRUE(decoded.empty());
}

TEST_P(EncoderTest, ExtremeParameters) {
  const std::string input = corpus(50000, 9);
  EncoderParams lo;
  lo.gzip_level = 1, lo.gzip_window_bits = 9, lo.gzip_memory_level = 1;
  lo.brotli_quality = 0, lo.brotli_window_bits = 10;
  lo.zstd_level = 1, lo.zstd_window_log = 10;
  EncoderParams hi;
  hi.gzip_level = 9, hi.gzip_window_bits = 15, hi.gzip_memory_level = 9;
  hi.brotli_quality = 11, hi.brotli_window_bits = 24;
  hi.zstd_level = 19, hi.zstd_window_log = 23;
  for (const EncoderParams& p : {lo, hi}) {
    auto enc = makeEncoder(GetParam(), p);
    ASSERT_NE(enc, nullptr);
    std::string compressed;
    ASSERT_TRUE(enc->write(input.data(), input.size(), true, &compressed));
    ASSERT_TRUE(enc->finish(&compressed));
    std::string decoded;
    ASSERT_TRUE(testing::decodeAll(GetParam(), compressed, &decoded));
    EXPECT_TRUE(decoded == input);
  }
}

// A content-length hint sizes the tables; a wrong one (the body shorter or longer) must still
// give a valid stream.
TEST_P(EncoderTest, SizeHintIsOnlyAHint) {
  const std::string input = corpus(30000, 11);
  for (uint64_t hint : {uint64_t{30000}, uint64_t{100}, uint64_t{10000000}}) {
    auto enc = makeEncoder(GetParam(), EncoderParams{}, hint);
    ASSERT_NE(enc, nullptr);
    std::string compressed;
    for (size_t pos = 0; pos < input.size(); pos += 4096) {
      ASSERT_TRUE(enc->write(input.data() + pos, std::min<size_t>(4096, input.size() - pos), true, &compressed));
    }
    ASSERT_TRUE(enc->finish(&compressed));
    std::string decoded;
    ASSERT_TRUE(testing::decodeAll(GetParam(), compressed, &decoded)) << hint;
    EXPECT_TRUE(decoded == input) << hint;
  }
}

INSTANTIATE_TEST_SUITE_P(All, EncoderTest, ::testing::Values(Encoding::kGzip, Encoding::kBrotli, Encoding::kZstd),
                         [](const auto& info) { return std::string(encodingName(info.param)); });

}  // namespace
}  // namespace strait::filters::compression
