// Validation of HTTP filters on virtual hosts and routes (xds/validate_filters.cc).
#include <gtest/gtest.h>

#include "xds/validate.h"
#include "xds/yaml_proto.h"

namespace strait::xds {
namespace {

// A generation whose only route carries `filter` (YAML of one HttpFilter); `vhost_filter`
// goes on the virtual host instead when `on_vhost`.
strait::v1::Generation gen(const std::string& filter, bool on_vhost = false) {
  std::string f = "filters: [" + filter + "]";
  std::string yaml = R"(
route_configs:
  - name: main
    virtual_hosts:
      - name: vh
        domains: ["*"]
        )" + (on_vhost ? f : std::string("routes: []")) + R"(
)" + (on_vhost ? R"(        routes:
          - match: { prefix: / }
            route: { cluster: c }
)" : R"(      - name: vh2
        domains: [x]
        routes:
          - match: { prefix: / }
            route: { cluster: c }
            )" + f + "\n") + R"(
clusters:
  - { name: c }
load_assignments:
  - cluster_name: c
)";
  strait::v1::Generation gen;
  absl::Status st = yamlToMessage(yaml, &gen);
  EXPECT_TRUE(st.ok()) << st << "\n" << yaml;
  return gen;
}

void expectOk(const std::string& filter) {
  absl::Status st = validateGeneration(gen(filter));
  EXPECT_TRUE(st.ok()) << filter << ": " << st;
}

// Exactly one problem, on `field` (under the route's filters[0]), containing `reason`.
void expectProblem(const std::string& filter, const std::string& field, const std::string& reason) {
  absl::Status st = validateGeneration(gen(filter));
  ASSERT_FALSE(st.ok()) << filter;
  std::string message(st.message());
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  std::string prefix = "route_config 'main': virtual_hosts[1].routes[0].filters[0]" + field + ": ";
  EXPECT_EQ(message.rfind(prefix, 0), 0u) << message << "\nwanted: " << prefix;
  EXPECT_NE(message.find(reason), std::string::npos) << message << "\nwanted: " << reason;
}

TEST(ValidateFilters, GoodFiltersPass) {
  expectOk("{access_control: {default_action: DENY, max_request_body_bytes: 10, rules: [{name: lan, "
           "action: ALLOW, source_cidrs: [10.0.0.0/8, '2001:db8::/32', 127.0.0.1], path: {safe_regex: '/a/.*', "
           "ignore_case: true}, methods: [GET, POST], headers: [{name: x-a, exact: b}, {name: x-b, present: false}]}]}}");
  expectOk("{cors: {allow_origins: ['https://a.example'], allow_origin_regexes: ['https://.*\\\\.b\\\\.example'], "
           "allow_methods: [GET, PUT], allow_headers: [x-token], expose_headers: [x-id], max_age_seconds: 600, "
           "allow_credentials: true}}");
  expectOk("{local_rate_limit: {max_tokens: 10, tokens_per_fill: 2, fill_interval: 1s}}");
  expectOk("{local_rate_limit: {max_tokens: 10, fill_interval: 0.5s, key: HEADER, key_header: x-user, max_keys: 100}}");
  EXPECT_TRUE(validateGeneration(gen("{cors: {allow_origins: ['*']}}", true)).ok());
}

TEST(ValidateFilters, EmptyFilterIsRefused) {
  expectProblem("{}", "", "one of access_control, cors, local_rate_limit");
}

TEST(ValidateFilters, AccessControlCidrs) {
  expectProblem("{access_control: {rules: [{source_cidrs: [10.0.0.0/33]}]}}", ".access_control.rules[0].source_cidrs[0]",
                "prefix length must be 0 to 32");
  expectProblem("{access_control: {rules: [{source_cidrs: ['::/129']}]}}", ".access_control.rules[0].source_cidrs[0]",
                "prefix length must be 0 to 128");
  expectProblem("{access_control: {rules: [{source_cidrs: [10.1.0.0/8]}]}}", ".access_control.rules[0].source_cidrs[0]",
                "bits set beyond the /8 prefix");
  expectProblem("{access_control: {rules: [{source_cidrs: [10.0.0/8]}]}}", ".access_control.rules[0].source_cidrs[0]",
                "not an IP address or CIDR block");
  expectProblem("{access_control: {rules: [{source_cidrs: [10.0.0.0/-1]}]}}", ".access_control.rules[0].source_cidrs[0]",
                "prefix length");
  expectProblem("{access_control: {rules: [{invert_source: true}]}}", ".access_control.rules[0].invert_source",
                "requires source_cidrs");
}

TEST(ValidateFilters, AccessControlMatchers) {
  expectProblem("{access_control: {rules: [{path: {safe_regex: '/a('}}]}}", ".access_control.rules[0].path.safe_regex",
                "invalid regex");
  expectProblem("{access_control: {rules: [{methods: [GET, get]}]}}", ".access_control.rules[0].methods[1]",
                "unknown method 'get'");
  expectProblem("{access_control: {rules: [{headers: [{name: 'x y', present: true}]}]}}",
                ".access_control.rules[0].headers[0].name", "invalid header name");
  expectProblem("{access_control: {rules: [{headers: [{name: x, safe_regex: '['}]}]}}",
                ".access_control.rules[0].headers[0].safe_regex", "invalid regex");
  expectProblem("{access_control: {rules: [{path: {prefix: ''}}]}}", ".access_control.rules[0].path.prefix",
                "must not be empty");
}

TEST(ValidateFilters, Cors) {
  expectProblem("{cors: {allow_methods: [GET]}}", ".cors", "at least one of allow_origins, allow_origin_regexes");
  expectProblem("{cors: {allow_origin_regexes: ['(']}}", ".cors.allow_origin_regexes[0]", "invalid regex");
  expectProblem("{cors: {allow_origins: ['*'], allow_methods: [FETCH]}}", ".cors.allow_methods[0]", "unknown method");
  expectProblem("{cors: {allow_origins: ['*'], allow_headers: ['a b']}}", ".cors.allow_headers[0]", "invalid header name");
  expectProblem("{cors: {allow_origins: ['*'], max_age_seconds: 86401}}", ".cors.max_age_seconds", "at most 86400");
  expectProblem("{cors: {allow_origins: ['a,b']}}", ".cors.allow_origins[0]", "invalid origin");
}

TEST(ValidateFilters, LocalRateLimit) {
  expectProblem("{local_rate_limit: {fill_interval: 1s}}", ".local_rate_limit.max_tokens", "must be 1 to 10000000");
  expectProblem("{local_rate_limit: {max_tokens: 20000000, fill_interval: 1s}}", ".local_rate_limit.max_tokens",
                "must be 1 to 10000000");
  expectProblem("{local_rate_limit: {max_tokens: 5}}", ".local_rate_limit.fill_interval", "is required");
  expectProblem("{local_rate_limit: {max_tokens: 5, fill_interval: 0.0001s}}", ".local_rate_limit.fill_interval",
                "must be 1ms to 24h");
  expectProblem("{local_rate_limit: {max_tokens: 5, fill_interval: 90000s}}", ".local_rate_limit.fill_interval",
                "must be 1ms to 24h");
  expectProblem("{local_rate_limit: {max_tokens: 5, tokens_per_fill: 6, fill_interval: 1s}}",
                ".local_rate_limit.tokens_per_fill", "at most max_tokens");
  expectProblem("{local_rate_limit: {max_tokens: 5, fill_interval: 1s, key: HEADER}}", ".local_rate_limit.key_header",
                "required with key HEADER");
  expectProblem("{local_rate_limit: {max_tokens: 5, fill_interval: 1s, key_header: x}}", ".local_rate_limit.key_header",
                "only valid with key HEADER");
  expectProblem("{local_rate_limit: {max_tokens: 5, fill_interval: 1s, max_keys: 9}}", ".local_rate_limit.max_keys",
                "only valid with a key");
  expectProblem("{local_rate_limit: {max_tokens: 5, fill_interval: 1s, key: CLIENT_ADDRESS, max_keys: 2000000}}",
                ".local_rate_limit.max_keys", "at most 1000000");
}

// The cache filter owns its checks (sidecar/filters/cache/cache_validate.cc); before, only its
// factory refused a bad config, so straitctl validate and the control plane accepted it.
TEST(ValidateFilters, CacheChecksAreTheFiltersOwn) {
  expectOk("{cache: {max_bytes: 1048576, max_object_bytes: 65536, status_header: x-cache-status}}");
  expectProblem("{cache: {max_bytes: 1024, max_object_bytes: 2048}}", ".cache.max_object_bytes",
                "must not exceed max_bytes (1024)");
  expectProblem("{cache: {status_header: X-Cache}}", ".cache.status_header", "not a lower-case header name");
}

TEST(ValidateFilters, CompressionChecksAreTheFiltersOwn) {
  expectProblem("{compression: {encodings: [gzip, lz4]}}", ".compression.encodings[1]", "unknown encoding 'lz4'");
}

TEST(ValidateFilters, VirtualHostFiltersAreChecked) {
  absl::Status st = validateGeneration(gen("{cors: {}}", true));
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("virtual_hosts[0].filters[0].cors: at least one of"), std::string::npos) << st;
}

}  // namespace
}  // namespace strait::xds
