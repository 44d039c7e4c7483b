// Validation of Compression filter configs (xds/validate_compression.cc).
#include <gtest/gtest.h>

#include "xds/validate.h"
#include "tests/unit/xds/test_config.h"
#include "xds/yaml_proto.h"

namespace strait::xds {
namespace {

// The compression filter `compression` on the virtual host and an empty one on the route.
strait::v1::Generation genWith(const std::string& compression) {
  return testing::filterGeneration("[{compression: " + compression + "}]", "[{compression: {}}]");
}

void expectOk(const std::string& compression) {
  absl::Status st = validateGeneration(genWith(compression));
  EXPECT_TRUE(st.ok()) << compression << ": " << st;
}

void expectProblem(const std::string& compression, const std::string& field, const std::string& reason) {
  absl::Status st = validateGeneration(genWith(compression));
  ASSERT_FALSE(st.ok()) << compression;
  std::string message(st.message());
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  std::string prefix = "route_config 'main': virtual_hosts[0].filters[0].compression." + field + ": ";
  EXPECT_NE(message.find(prefix), std::string::npos) << message << "\nwanted: " << prefix;
  EXPECT_NE(message.find(reason), std::string::npos) << message << "\nwanted: " << reason;
}

TEST(ValidateCompressionTest, AcceptsDefaultsAndFullConfig) {
  expectOk("{}");
  expectOk(R"({encodings: [gzip, br, zstd], content_types: ["text/*", "application/vnd.a+json"],
              min_content_length: 0, gzip: {level: 9, window_bits: 9, memory_level: 1},
              brotli: {quality: 0, window_bits: 24}, zstd: {level: 19, window_log: 23}})");
}

TEST(ValidateCompressionTest, RejectsBadEncodings) {
  expectProblem("{encodings: [deflate]}", "encodings[0]", "unknown encoding 'deflate' (one of zstd, br, gzip)");
  expectProblem("{encodings: [gzip, gzip]}", "encodings[1]", "duplicate encoding 'gzip'");
}

TEST(ValidateCompressionTest, RejectsBadMediaTypes) {
  expectProblem(R"({content_types: ["text/html; charset=utf-8"]})", "content_types[0]",
                "invalid media type 'text/html; charset=utf-8' (type/subtype or type/*, without parameters)");
  expectProblem(R"({content_types: ["text/html", "html"]})", "content_types[1]", "invalid media type 'html'");
  expectProblem(R"({content_types: ["*/*"]})", "content_types[0]", "invalid media type '*/*'");
}

TEST(ValidateCompressionTest, RejectsOutOfRangeLevelsAndWindows) {
  expectProblem("{gzip: {level: 0}}", "gzip.level", "must be between 1 and 9, got 0");
  expectProblem("{gzip: {level: 10}}", "gzip.level", "must be between 1 and 9, got 10");
  expectProblem("{gzip: {window_bits: 8}}", "gzip.window_bits", "must be between 9 and 15, got 8");
  expectProblem("{gzip: {memory_level: 10}}", "gzip.memory_level", "must be between 1 and 9, got 10");
  expectProblem("{brotli: {quality: 12}}", "brotli.quality", "must be between 0 and 11, got 12");
  expectProblem("{brotli: {window_bits: 9}}", "brotli.window_bits", "must be between 10 and 24, got 9");
  expectProblem("{zstd: {level: 20}}", "zstd.level", "must be between 1 and 19, got 20");
  expectProblem("{zstd: {window_log: 24}}", "zstd.window_log", "must be between 10 and 23, got 24");
}

TEST(ValidateCompressionTest, RouteFiltersAreCheckedToo) {
  strait::v1::Generation gen = genWith("{}");
  auto* route = gen.mutable_route_configs(0)->mutable_virtual_hosts(0)->mutable_routes(0);
  route->mutable_filters(0)->mutable_compression()->mutable_zstd()->set_level(0);
  absl::Status st = validateGeneration(gen);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("virtual_hosts[0].routes[0].filters[0].compression.zstd.level: must be between 1 "
                              "and 19, got 0"),
            std::string::npos)
      << st;
}

}  // namespace
}  // namespace strait::xds
