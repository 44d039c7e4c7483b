// strait-init's rules: the nftables ruleset that makes a pod's TCP traffic go through its
// sidecar (transparent interception), as text for `nft -f -`. Pure functions (no I/O), so
// the ruleset is unit-tested as text and applied by strait-init (init_main.cc).
//
// What the ruleset does, in table `inet <table>` (IPv4 and IPv6 alike):
//  - chain output (nat, hook output): TCP the pod's processes open is redirected to the
//    outbound listener (127.0.0.1/::1 : outbound_port), except the sidecar's own
//    connections (its uid, and gid if given), connections to loopback addresses, and the
//    excluded ports and CIDRs;
//  - chain prerouting (nat, hook prerouting): TCP arriving at the pod is redirected to the
//    inbound listener (inbound_port): to every port, or only `inbound_ports`; never to the
//    sidecar's own listener ports or the excluded ones.
// The redirect keeps the original destination in the connection's NAT record, where the
// sidecar reads it (SO_ORIGINAL_DST). Applying the script replaces any earlier version of
// the table in one transaction (safe to run again).
// ERRORS: bad flags or values are returned as INVALID_ARGUMENT naming the flag.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace strait::intercept {

struct InterceptOptions {
  uint16_t outbound_port = 15001;
  uint16_t inbound_port = 15006;
  uint32_t proxy_uid = 1337;
  std::optional<uint32_t> proxy_gid;
  std::vector<uint16_t> inbound_ports;  // empty: every port
  std::vector<uint16_t> exclude_inbound_ports;
  std::vector<uint16_t> exclude_outbound_ports;
  std::vector<std::string> exclude_outbound_cidrs;  // "10.0.0.0/8", "fd00::/8"
  std::string table = "strait";
};

enum class InitAction { kApply, kPrint, kRemove, kHelp };

// Parses strait-init's flags (argv without the program name).
absl::StatusOr<InterceptOptions> parseInterceptFlags(const std::vector<std::string>& args, InitAction* action);
// The usage text.
std::string interceptUsage();
// The script installing the ruleset.
std::string nftRuleset(const InterceptOptions& options);
// The script removing it.
std::string nftRemoveScript(const InterceptOptions& options);

}  // namespace strait::intercept
