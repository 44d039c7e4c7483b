// strait-init's flags and ruleset text. (Applying it in a network namespace is
// tests/integration/test_interception.py.)
#include "sidecar/intercept/nft_rules.h"

#include <gtest/gtest.h>

#include "absl/strings/match.h"

namespace strait::intercept {
namespace {

absl::StatusOr<InterceptOptions> parse(std::vector<std::string> args, InitAction* action = nullptr) {
  InitAction ignored;
  return parseInterceptFlags(args, action ? action : &ignored);
}

TEST(InterceptFlags, DefaultsAndValues) {
  InitAction action;
  auto o = parse({}, &action);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(action, InitAction::kApply);
  EXPECT_EQ(o->outbound_port, 15001);
  EXPECT_EQ(o->inbound_port, 15006);
  EXPECT_EQ(o->proxy_uid, 1337u);
  o = parse({"--print", "--outbound-port", "20001", "--inbound-ports", "8080,9090", "--proxy-gid", "7",
             "--exclude-outbound-cidrs", "10.0.0.0/8, fd00::/8", "--exclude-outbound-ports", "53"},
            &action);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(action, InitAction::kPrint);
  EXPECT_EQ(o->outbound_port, 20001);
  EXPECT_EQ(o->inbound_ports, (std::vector<uint16_t>{8080, 9090}));
  EXPECT_EQ(o->proxy_gid, 7u);
  EXPECT_EQ(o->exclude_outbound_cidrs, (std::vector<std::string>{"10.0.0.0/8", "fd00::/8"}));
}

TEST(InterceptFlags, BadValuesNameTheFlag) {
  for (const auto& [args, expected] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"--outbound-port", "0"}, "--outbound-port: '0' is not a port"},
           {{"--inbound-ports", "80,x"}, "--inbound-ports: 'x' is not a port"},
           {{"--exclude-outbound-cidrs", "10.0.0.0/33"}, "--exclude-outbound-cidrs: '10.0.0.0/33'"},
           {{"--exclude-outbound-cidrs", "example.com"}, "not an address or CIDR block"},
           {{"--proxy-uid", "me"}, "--proxy-uid: 'me' is not a number"},
           {{"--table", "a b"}, "--table: letters"},
           {{"--inbound-port", "15001"}, "must differ from --outbound-port"},
           {{"--bogus", "1"}, "--bogus: unknown flag"},
           {{"--proxy-uid"}, "its value is missing"},
       }) {
    auto o = parse(args);
    ASSERT_FALSE(o.ok()) << args[0];
    EXPECT_TRUE(absl::StrContains(o.status().message(), expected)) << o.status();
  }
}

TEST(InterceptRules, DefaultRuleset) {
  std::string rules = nftRuleset(*parse({}));
  EXPECT_EQ(rules,
            "table inet strait {}\n"
            "delete table inet strait\n"
            "table inet strait {\n"
            "  chain output {\n"
            "    type nat hook output priority -100; policy accept;\n"
            "    meta l4proto != tcp return\n"
            "    meta skuid 1337 return\n"
            "    ip daddr 127.0.0.0/8 return\n"
            "    ip6 daddr ::1 return\n"
            "    meta l4proto tcp redirect to :15001\n"
            "  }\n"
            "  chain prerouting {\n"
            "    type nat hook prerouting priority -100; policy accept;\n"
            "    meta l4proto != tcp return\n"
            "    iifname \"lo\" return\n"
            "    tcp dport { 15001, 15006 } return\n"
            "    meta l4proto tcp redirect to :15006\n"
            "  }\n"
            "}\n");
}

TEST(InterceptRules, ExclusionsAndInboundPorts) {
  std::string rules = nftRuleset(*parse({"--inbound-ports", "8080", "--exclude-inbound-ports", "22",
                                         "--exclude-outbound-ports", "53,853", "--proxy-gid", "1337",
                                         "--exclude-outbound-cidrs", "198.18.0.10/32,fd00::/8"}));
  EXPECT_TRUE(absl::StrContains(rules, "    meta skgid 1337 return\n"));
  EXPECT_TRUE(absl::StrContains(rules, "    tcp dport { 53, 853 } return\n"));
  EXPECT_TRUE(absl::StrContains(rules, "    ip daddr { 198.18.0.10/32 } return\n"));
  EXPECT_TRUE(absl::StrContains(rules, "    ip6 daddr { fd00::/8 } return\n"));
  EXPECT_TRUE(absl::StrContains(rules, "    tcp dport { 22 } return\n"));
  EXPECT_TRUE(absl::StrContains(rules, "    tcp dport { 8080 } redirect to :15006\n"));
  EXPECT_EQ(nftRemoveScript(*parse({"--table", "x"})), "table inet x {}\ndelete table inet x\n");
}

}  // namespace
}  // namespace strait::intercept
