// Validation of clusters' load-balancing settings (xds/validate_lb.cc).
#include <gtest/gtest.h>

#include "xds/validate.h"
#include "xds/yaml_proto.h"

namespace strait::xds {
namespace {

// Clusters `a` (the one under test, 3 endpoints) and `b`, from YAML.
strait::v1::Generation gen(const std::string& cluster_a_yaml) {
  std::string yaml = R"(
clusters:
  - )" + cluster_a_yaml + R"(
  - { name: b }
load_assignments:
  - cluster_name: a
    endpoints: [{address: 10.0.0.1, port: 80}, {address: 10.0.0.2, port: 80}, {address: 10.0.0.3, port: 80}]
  - cluster_name: b
)";
  strait::v1::Generation gen;
  absl::Status st = yamlToMessage(yaml, &gen);
  EXPECT_TRUE(st.ok()) << st << "\n" << yaml;
  return gen;
}

void expectOk(const std::string& cluster) {
  absl::Status st = validateGeneration(gen(cluster));
  EXPECT_TRUE(st.ok()) << cluster << ": " << st;
}

// Validation fails with exactly one line: "cluster 'a': <field>: ...<reason>...".
void expectProblem(const std::string& cluster, const std::string& field, const std::string& reason) {
  absl::Status st = validateGeneration(gen(cluster));
  ASSERT_FALSE(st.ok()) << cluster;
  std::string message(st.message());
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  std::string prefix = "cluster 'a': " + field + ": ";
  EXPECT_EQ(message.rfind(prefix, 0), 0u) << message << "\nwanted: " << prefix;
  EXPECT_NE(message.find(reason), std::string::npos) << message << "\nwanted: " << reason;
}

TEST(ValidateLb, GoodSettingsPass) {
  expectOk("{name: a, lb_policy: ROUND_ROBIN, healthy_panic_threshold: 0}");
  expectOk("{name: a, lb_policy: RANDOM, healthy_panic_threshold: 100}");
  expectOk("{name: a, lb_policy: LEAST_REQUEST, lb_config: {least_request: {choice_count: 3}}}");
  expectOk("{name: a, lb_policy: RING_HASH, lb_config: {hash_policy: {header_name: X-User},"
           " ring_hash: {minimum_ring_size: 4096, maximum_ring_size: 65536}}}");
  expectOk("{name: a, lb_policy: MAGLEV, lb_config: {hash_policy: {cookie_name: session},"
           " maglev: {table_size: 251}}}");
  expectOk("{name: a, lb_policy: MAGLEV, lb_config: {hash_policy: {source_ip: true}}}");
}

TEST(ValidateLb, HashPolicyOnlyWithHashingPolicies) {
  expectProblem("{name: a, lb_policy: RING_HASH}", "lb_config.hash_policy", "required by lb_policy RING_HASH");
  expectProblem("{name: a, lb_policy: MAGLEV, lb_config: {maglev: {table_size: 7}}}", "lb_config.hash_policy",
                "required by lb_policy MAGLEV");
  expectProblem("{name: a, lb_config: {hash_policy: {header_name: x-user}}}", "lb_config.hash_policy",
                "only RING_HASH and MAGLEV hash requests, not lb_policy ROUND_ROBIN");
  expectProblem("{name: a, lb_policy: LEAST_REQUEST, lb_config: {hash_policy: {source_ip: true}}}",
                "lb_config.hash_policy", "not lb_policy LEAST_REQUEST");
}

TEST(ValidateLb, HashPolicyKeys) {
  expectProblem("{name: a, lb_policy: RING_HASH, lb_config: {hash_policy: {}}}", "lb_config.hash_policy",
                "set one of header_name, cookie_name, source_ip");
  expectProblem("{name: a, lb_policy: RING_HASH, lb_config: {hash_policy: {header_name: \"x user\"}}}",
                "lb_config.hash_policy.header_name", "'x user' is not a valid header name");
  expectProblem("{name: a, lb_policy: MAGLEV, lb_config: {hash_policy: {cookie_name: \"\"}}}",
                "lb_config.hash_policy.cookie_name", "is not a valid cookie name");
  expectProblem("{name: a, lb_policy: MAGLEV, lb_config: {hash_policy: {source_ip: false}}}",
                "lb_config.hash_policy.source_ip", "must be true when set");
}

TEST(ValidateLb, PolicySettingsOnlyForTheirPolicy) {
  expectProblem("{name: a, lb_config: {ring_hash: {minimum_ring_size: 10}}}", "lb_config.ring_hash",
                "only used by lb_policy RING_HASH, not ROUND_ROBIN");
  expectProblem("{name: a, lb_policy: RING_HASH, lb_config: {hash_policy: {source_ip: true}, maglev: {}}}",
                "lb_config.maglev", "only used by lb_policy MAGLEV, not RING_HASH");
  expectProblem("{name: a, lb_policy: RANDOM, lb_config: {least_request: {choice_count: 2}}}",
                "lb_config.least_request", "only used by lb_policy LEAST_REQUEST, not RANDOM");
}

TEST(ValidateLb, RingSizes) {
  const std::string ring = "{name: a, lb_policy: RING_HASH, lb_config: {hash_policy: {source_ip: true}, ring_hash: ";
  expectProblem(ring + "{minimum_ring_size: 8388609}}}", "lb_config.ring_hash.minimum_ring_size",
                "8388609 out of range 1..8388608");
  expectProblem(ring + "{minimum_ring_size: 2048, maximum_ring_size: 1024}}}",
                "lb_config.ring_hash.maximum_ring_size", "1024 out of range 2048..8388608");
  expectProblem(ring + "{maximum_ring_size: 512}}}", "lb_config.ring_hash.maximum_ring_size",
                "512 out of range 1024..8388608");
  expectProblem(ring + "{maximum_ring_size: 9000000}}}", "lb_config.ring_hash.maximum_ring_size",
                "out of range 1024..8388608");
}

TEST(ValidateLb, MaglevTableSize) {
  const std::string maglev = "{name: a, lb_policy: MAGLEV, lb_config: {hash_policy: {source_ip: true}, maglev: ";
  expectProblem(maglev + "{table_size: 65536}}}", "lb_config.maglev.table_size", "65536 is not a prime number");
  expectProblem(maglev + "{table_size: 1}}}", "lb_config.maglev.table_size", "1 is not a prime number");
  expectProblem(maglev + "{table_size: 5000012}}}", "lb_config.maglev.table_size", "out of range 2..5000011");
  expectProblem(maglev + "{table_size: 2}}}", "lb_config.maglev.table_size",
                "2 is smaller than the cluster's 3 endpoints");
  expectOk(maglev + "{table_size: 5000011}}}");
}

TEST(ValidateLb, ChoiceCountAndPanicThreshold) {
  expectProblem("{name: a, lb_policy: LEAST_REQUEST, lb_config: {least_request: {choice_count: 1}}}",
                "lb_config.least_request.choice_count", "1 out of range 2..100");
  expectProblem("{name: a, lb_policy: LEAST_REQUEST, lb_config: {least_request: {choice_count: 101}}}",
                "lb_config.least_request.choice_count", "101 out of range 2..100");
  expectProblem("{name: a, healthy_panic_threshold: 101}", "healthy_panic_threshold",
                "101 out of range 0..100 (percent)");
}

TEST(ValidateLb, PanicThresholdPresenceIsKept) {
  strait::v1::Generation unset = gen("{name: a}");
  EXPECT_FALSE(unset.clusters(0).has_healthy_panic_threshold());
  strait::v1::Generation zero = gen("{name: a, healthy_panic_threshold: 0}");
  EXPECT_TRUE(zero.clusters(0).has_healthy_panic_threshold());
  EXPECT_EQ(zero.clusters(0).healthy_panic_threshold(), 0u);
}

}  // namespace
}  // namespace strait::xds
