#include "xds/json_tree.h"

#include <gtest/gtest.h>
#include <google/protobuf/util/message_differencer.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "strait/v1/generation.pb.h"
#include "xds/yaml_proto.h"

namespace strait::xds {
namespace {

using strait::v1::Generation;

TEST(JsonTree, ReadsObjectsArraysAndScalarsAsText) {
  auto root = readJsonSubset("{\"a\": [1, -2.5e3, true, null, \"x\\\"y\\n\"],\n \"b\": {}}");
  ASSERT_NE(root, nullptr);
  ASSERT_TRUE(root->IsMap());
  ASSERT_EQ(root->size(), 2u);
  const JsonNode& a = root->begin()->second;
  ASSERT_TRUE(a.IsSequence());
  ASSERT_EQ(a.size(), 5u);
  EXPECT_EQ(a[0].Scalar(), "1");
  EXPECT_EQ(a[1].Scalar(), "-2.5e3");
  EXPECT_EQ(a[2].Scalar(), "true");
  EXPECT_TRUE(a[3].IsNull());
  EXPECT_EQ(a[4].Scalar(), "x\"y\n");
  const auto& b = *(root->begin() + 1);
  EXPECT_EQ(b.first.Scalar(), "b");
  EXPECT_EQ(b.first.Mark().line, 1);
  EXPECT_TRUE(b.second.IsMap());
  // Escapes decode as YAML's double-quoted scalars do.
  auto escaped = readJsonSubset("{\"k\": \"\\u0041\\/\\t\"}");
  ASSERT_NE(escaped, nullptr);
  EXPECT_EQ(escaped->begin()->second.Scalar(), "A/\t");
}

TEST(JsonTree, GivesUpOutsideTheSubset) {
  for (const char* text : {
           "[1]",                       // not an object
           "{\"a\":\t1}",               // tab
           "{\"a\": \"\\u00e9\"}",      // a \u escape of a non-ASCII character
           "{\"a\": \"\\u0001\"}",      // a control character
           "{\"a\": \"\xc3\xa9\"}",     // non-ASCII
           "{\"a\": 1} x",              // trailing text
           "{\"a\": 1} # c",            // a comment
           "{\"a\": 01}",               // not a JSON number
           "{\"a\": 1,}",               // trailing comma
           "{a: 1}",                    // unquoted key (YAML, not JSON)
           "{\"a\": \"x\ny\"}",         // raw newline in a string (YAML folds it)
           "\xef\xbb\xbf{}",            // BOM
       }) {
    EXPECT_EQ(readJsonSubset(text), nullptr) << text;
  }
  std::string deep(100, '[');
  EXPECT_EQ(readJsonSubset(absl::StrCat("{\"a\": ", deep, std::string(100, ']'), "}")), nullptr);
}

// The same JSON through the fast reader and, behind a YAML comment line, through yaml-cpp:
// the same message, or both refused.
void expectSameBothWays(const std::string& json) {
  Generation fast, slow;
  absl::Status fast_st = yamlToMessage(json, &fast);
  absl::Status slow_st = yamlToMessage("# read by yaml-cpp\n" + json, &slow);
  ASSERT_EQ(fast_st.ok(), slow_st.ok()) << json << "\nfast: " << fast_st << "\nslow: " << slow_st;
  if (!fast_st.ok()) return;
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(fast, slow))
      << json << "\nfast: " << fast.DebugString() << "\nslow: " << slow.DebugString();
}

TEST(JsonTree, YamlToMessageGivesTheSameMessageEitherWay) {
  for (const char* json : {
           R"({"listeners": [{"name": "in", "address": "127.0.0.1", "port": 8080, "routeConfig": "main",
               "http_options": {"idle_timeout": "1.5s", "max_request_headers_bytes": "4096"}}]})",
           R"({"clusters": [{"name": "c", "lb_policy": "RANDOM", "connect_timeout": "250ms",
               "circuit_breakers": null}, {"name": "d", "lb_policy": 2}]})",
           R"({"route_configs": [{"name": "r", "virtual_hosts": [{"name": "v", "domains": ["*"],
               "routes": [{"match": {"prefix": "/a\"b\\c", "case_insensitive": true},
                           "route": {"cluster": "c", "timeout": "0s"}}]}]}]})",
           R"({"load_assignments": [{"cluster_name": "c", "endpoints": [{"address": "10.0.0.1", "port": 80,
               "weight": 3}]}]})",
           R"({"listeners": [{"name": 1.10, "route_config": "007"}]})",
           R"({"listeners": [{"name": "a", "port": 1e3}]})",
           R"({"listeners": [{"name": "a", "port": -1}]})",
           R"({"listeners": [{"name": "a", "prot": 80}]})",
           R"({"listeners": [{"name": "a", "use_original_dst": "yes"}]})",
           R"({"listeners": [{"name": "a"}], "listeners": [{"name": "b"}]})",
           R"({})",
           R"({"listeners": [{"name": "\u0041\/x\ty\nz", "route_config": "m"}]})",
       }) {
    expectSameBothWays(json);
  }
}

// What bench/fleet/gen_config.py writes (one line, ", " and ": " separators), smaller.
TEST(JsonTree, GeneratedFleetConfigTheSameEitherWay) {
  std::string routes, clusters, assignments;
  for (int i = 0; i < 50; i++) {
    absl::StrAppend(&routes, i ? ", " : "", "{\"match\": {\"prefix\": \"/r", i, "/\"}, \"route\": {\"cluster\": \"c",
                    i % 10, "\"}}");
  }
  for (int i = 0; i < 10; i++) {
    absl::StrAppend(&clusters, i ? ", " : "", "{\"name\": \"c", i, "\", \"connect_timeout\": \"", i == 1 ? 2 : 1, "s\"}");
    absl::StrAppend(&assignments, i ? ", " : "", "{\"cluster_name\": \"c", i,
                    "\", \"endpoints\": [{\"address\": \"127.0.0.1\", \"port\": 9000}, {\"address\": \"127.0.0.2\", "
                    "\"port\": 9000, \"weight\": 2}]}");
  }
  std::string json = absl::StrCat(
      "{\"listeners\": [{\"name\": \"bench\", \"address\": \"127.0.0.1\", \"port\": 8000, \"route_config\": "
      "\"bench\"}], \"route_configs\": [{\"name\": \"bench\", \"virtual_hosts\": [{\"name\": \"all\", \"domains\": "
      "[\"*\"], \"routes\": [", routes, "]}]}], \"clusters\": [", clusters, "], \"load_assignments\": [", assignments,
      "]}");
  ASSERT_NE(readJsonSubset(json), nullptr);
  expectSameBothWays(json);
  Generation gen;
  ASSERT_TRUE(yamlToMessage(json, &gen).ok());
  EXPECT_EQ(gen.route_configs(0).virtual_hosts(0).routes_size(), 50);
  EXPECT_EQ(gen.load_assignments(9).endpoints(1).weight(), 2u);
}

TEST(JsonTree, ErrorsAreWordedByTheYamlReader) {
  Generation gen;
  absl::Status st = yamlToMessage("{\"listeners\": [{\"name\": \"a\",\n \"prot\": 80}]}", &gen);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("line 2"), std::string::npos) << st;
  EXPECT_NE(st.message().find("listeners[0].prot"), std::string::npos) << st;
}

}  // namespace
}  // namespace strait::xds
