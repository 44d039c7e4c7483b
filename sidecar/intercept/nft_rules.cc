#include "sidecar/intercept/nft_rules.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "xds/field_rules.h"

namespace strait::intercept {
namespace {

absl::Status badFlag(const std::string& flag, const std::string& why) {
  return absl::InvalidArgumentError(absl::StrCat(flag, ": ", why));
}

absl::StatusOr<uint16_t> parsePort(const std::string& flag, const std::string& text) {
  uint32_t port = 0;
  if (!absl::SimpleAtoi(text, &port) || port == 0 || port > 65535) {
    return badFlag(flag, absl::StrCat("'", text, "' is not a port (1..65535)"));
  }
  return static_cast<uint16_t>(port);
}

absl::StatusOr<std::vector<uint16_t>> parsePorts(const std::string& flag, const std::string& text) {
  std::vector<uint16_t> ports;
  for (absl::string_view item : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    auto port = parsePort(flag, std::string(absl::StripAsciiWhitespace(item)));
    if (!port.ok()) return port.status();
    ports.push_back(*port);
  }
  return ports;
}

std::string portSet(const std::vector<uint16_t>& ports) { return absl::StrCat("{ ", absl::StrJoin(ports, ", "), " }"); }

}  // namespace

std::string interceptUsage() {
  return "usage: strait-init [--print | --remove] [--outbound-port 15001] [--inbound-port 15006]\n"
         "                   [--proxy-uid 1337] [--proxy-gid GID] [--inbound-ports P,P | *]\n"
         "                   [--exclude-inbound-ports P,P] [--exclude-outbound-ports P,P]\n"
         "                   [--exclude-outbound-cidrs CIDR,CIDR] [--table strait]\n"
         "Installs (or with --remove deletes) the nftables rules that send the network\n"
         "namespace's TCP traffic through its sidecar; --print shows them instead.\n";
}

absl::StatusOr<InterceptOptions> parseInterceptFlags(const std::vector<std::string>& args, InitAction* action) {
  InterceptOptions o;
  *action = InitAction::kApply;
  for (size_t i = 0; i < args.size(); i++) {
    const std::string& flag = args[i];
    if (flag == "--print") { *action = InitAction::kPrint; continue; }
    if (flag == "--remove") { *action = InitAction::kRemove; continue; }
    if (flag == "--help" || flag == "-h") { *action = InitAction::kHelp; continue; }
    if (i + 1 >= args.size()) return badFlag(flag, "unknown flag, or its value is missing");
    const std::string& value = args[++i];
    if (flag == "--outbound-port" || flag == "--inbound-port") {
      auto port = parsePort(flag, value);
      if (!port.ok()) return port.status();
      (flag == "--outbound-port" ? o.outbound_port : o.inbound_port) = *port;
    } else if (flag == "--proxy-uid" || flag == "--proxy-gid") {
      uint32_t id = 0;
      if (!absl::SimpleAtoi(value, &id)) return badFlag(flag, absl::StrCat("'", value, "' is not a number"));
      if (flag == "--proxy-uid") o.proxy_uid = id;
      else o.proxy_gid = id;
    } else if (flag == "--inbound-ports") {
      if (value == "*") {
        o.inbound_ports.clear();
      } else {
        auto ports = parsePorts(flag, value);
        if (!ports.ok()) return ports.status();
        if (ports->empty()) return badFlag(flag, "no port (use * for every port)");
        o.inbound_ports = *ports;
      }
    } else if (flag == "--exclude-inbound-ports" || flag == "--exclude-outbound-ports") {
      auto ports = parsePorts(flag, value);
      if (!ports.ok()) return ports.status();
      (flag == "--exclude-inbound-ports" ? o.exclude_inbound_ports : o.exclude_outbound_ports) = *ports;
    } else if (flag == "--exclude-outbound-cidrs") {
      for (absl::string_view item : absl::StrSplit(value, ',', absl::SkipWhitespace())) {
        std::string cidr(absl::StripAsciiWhitespace(item));
        if (!xds::isCidr(cidr)) return badFlag(flag, absl::StrCat("'", cidr, "' is not an address or CIDR block"));
        o.exclude_outbound_cidrs.push_back(cidr);
      }
    } else if (flag == "--table") {
      if (value.empty() || value.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_-") != std::string::npos) {
        return badFlag(flag, "letters, digits, '_' and '-' only");
      }
      o.table = value;
    } else {
      return badFlag(flag, "unknown flag");
    }
  }
  if (o.inbound_port == o.outbound_port) return badFlag("--inbound-port", "must differ from --outbound-port");
  return o;
}

std::string nftRuleset(const InterceptOptions& o) {
  std::vector<std::string> v4_cidrs, v6_cidrs;
  for (const auto& cidr : o.exclude_outbound_cidrs) {
    (cidr.find(':') != std::string::npos ? v6_cidrs : v4_cidrs).push_back(cidr);
  }
  std::vector<uint16_t> own_ports = {o.outbound_port, o.inbound_port};
  std::string s;
  // Create-then-delete makes the replacement work whether or not the table exists, all in
  // one transaction with the new definition.
  absl::StrAppend(&s, "table inet ", o.table, " {}\ndelete table inet ", o.table, "\n");
  absl::StrAppend(&s, "table inet ", o.table, " {\n");
  absl::StrAppend(&s, "  chain output {\n    type nat hook output priority -100; policy accept;\n");
  absl::StrAppend(&s, "    meta l4proto != tcp return\n");
  absl::StrAppend(&s, "    meta skuid ", o.proxy_uid, " return\n");
  if (o.proxy_gid) absl::StrAppend(&s, "    meta skgid ", *o.proxy_gid, " return\n");
  absl::StrAppend(&s, "    ip daddr 127.0.0.0/8 return\n    ip6 daddr ::1 return\n");
  if (!o.exclude_outbound_ports.empty()) absl::StrAppend(&s, "    tcp dport ", portSet(o.exclude_outbound_ports), " return\n");
  if (!v4_cidrs.empty()) absl::StrAppend(&s, "    ip daddr { ", absl::StrJoin(v4_cidrs, ", "), " } return\n");
  if (!v6_cidrs.empty()) absl::StrAppend(&s, "    ip6 daddr { ", absl::StrJoin(v6_cidrs, ", "), " } return\n");
  absl::StrAppend(&s, "    meta l4proto tcp redirect to :", o.outbound_port, "\n  }\n");
  absl::StrAppend(&s, "  chain prerouting {\n    type nat hook prerouting priority -100; policy accept;\n");
  absl::StrAppend(&s, "    meta l4proto != tcp return\n");
  absl::StrAppend(&s, "    iifname \"lo\" return\n");
  absl::StrAppend(&s, "    tcp dport ", portSet(own_ports), " return\n");
  if (!o.exclude_inbound_ports.empty()) absl::StrAppend(&s, "    tcp dport ", portSet(o.exclude_inbound_ports), " return\n");
  if (o.inbound_ports.empty()) {
    absl::StrAppend(&s, "    meta l4proto tcp redirect to :", o.inbound_port, "\n");
  } else {
    absl::StrAppend(&s, "    tcp dport ", portSet(o.inbound_ports), " redirect to :", o.inbound_port, "\n");
  }
  absl::StrAppend(&s, "  }\n}\n");
  return s;
}

std::string nftRemoveScript(const InterceptOptions& o) {
  return absl::StrCat("table inet ", o.table, " {}\ndelete table inet ", o.table, "\n");
}

}  // namespace strait::intercept
