#include "xds/yaml_proto.h"

#include <gtest/gtest.h>

#include "strait/v1/bootstrap.pb.h"
#include "strait/v1/generation.pb.h"

namespace strait::xds {
namespace {

using strait::v1::Generation;

TEST(YamlProto, ParsesTypesDurationsEnumsAndJsonNames) {
  Generation gen;
  absl::Status st = yamlToMessage(R"(
listeners:
  - name: in
    address: 127.0.0.1
    port: 8080
    routeConfig: main
    http_options: { idle_timeout: 1.5s }
clusters:
  - name: c
    lb_policy: RANDOM
    connect_timeout: 250ms
route_configs:
  - name: main
    virtual_hosts:
      - domains: ["*"]
        routes:
          - match: { headers: [{ name: x, present_match: true }] }
)", &gen);
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_EQ(gen.listeners(0).port(), 8080u);
  EXPECT_EQ(gen.listeners(0).route_config(), "main");
  EXPECT_EQ(gen.listeners(0).http_options().idle_timeout().seconds(), 1);
  EXPECT_EQ(gen.listeners(0).http_options().idle_timeout().nanos(), 500000000);
  EXPECT_EQ(gen.clusters(0).lb_policy(), strait::v1::Cluster::RANDOM);
  EXPECT_EQ(gen.clusters(0).connect_timeout().nanos(), 250000000);
  EXPECT_TRUE(gen.route_configs(0).virtual_hosts(0).routes(0).match().headers(0).present_match());
}

TEST(YamlProto, NumericLookingScalarStaysString) {
  Generation gen;
  ASSERT_TRUE(yamlToMessage("listeners: [{name: 1.10, route_config: 007}]", &gen).ok());
  EXPECT_EQ(gen.listeners(0).name(), "1.10");
  EXPECT_EQ(gen.listeners(0).route_config(), "007");
}

TEST(YamlProto, UnknownFieldNamesLineAndPath) {
  Generation gen;
  absl::Status st = yamlToMessage("listeners:\n  - name: a\n    prot: 80\n", &gen);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("line 3"), std::string::npos) << st;
  EXPECT_NE(st.message().find("listeners[0].prot"), std::string::npos) << st;
  EXPECT_NE(st.message().find("unknown field"), std::string::npos) << st;
}

TEST(YamlProto, BadNumberNamesLineAndPath) {
  Generation gen;
  absl::Status st = yamlToMessage("listeners:\n  - name: a\n    port: abc\n", &gen);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("line 3: listeners[0].port: expected an integer, got 'abc'"),
            std::string::npos)
      << st;
}

TEST(YamlProto, BadDurationBoolAndEnum) {
  Generation gen;
  EXPECT_FALSE(yamlToMessage("clusters: [{name: c, connect_timeout: soon}]", &gen).ok());
  EXPECT_FALSE(yamlToMessage("clusters: [{name: c, lb_policy: FASTEST}]", &gen).ok());
  absl::Status st = yamlToMessage(
      "route_configs: [{response_headers_to_add: [{key: a, value: b, append: maybe}]}]", &gen);
  EXPECT_NE(st.message().find("expected true or false"), std::string::npos) << st;
}

TEST(YamlProto, ShapeMismatchIsAnError) {
  Generation gen;
  EXPECT_FALSE(yamlToMessage("listeners: {name: a}", &gen).ok());
  EXPECT_FALSE(yamlToMessage("listeners: [[1]]", &gen).ok());
  EXPECT_FALSE(yamlToMessage("- a\n- b\n", &gen).ok());
}

TEST(YamlProto, SyntaxErrorNamesLine) {
  Generation gen;
  absl::Status st = yamlToMessage("listeners:\n  - name: [a\n", &gen);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message().rfind("line ", 0), 0u) << st;
}

TEST(YamlProto, EmptyDocumentIsEmptyMessage) {
  Generation gen;
  gen.add_listeners()->set_name("stale");
  ASSERT_TRUE(yamlToMessage("", &gen).ok());
  EXPECT_EQ(gen.listeners_size(), 0);
  ASSERT_TRUE(yamlToMessage("# only a comment\n", &gen).ok());
}

TEST(YamlProto, Bootstrap) {
  strait::v1::Bootstrap b;
  ASSERT_TRUE(yamlToMessage(R"(
node: { id: web-1, service: web }
control_plane: { address: "127.0.0.1:18000", plaintext: true }
admin: { port: 0 }
)", &b).ok());
  EXPECT_EQ(b.node().id(), "web-1");
  EXPECT_TRUE(b.control_plane().plaintext());
}

TEST(YamlProto, MissingFileIsAnErrorWithPath) {
  Generation gen;
  absl::Status st = yamlFileToMessage("/nonexistent/x.yaml", &gen);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("/nonexistent/x.yaml"), std::string::npos);
}

}  // namespace
}  // namespace strait::xds
