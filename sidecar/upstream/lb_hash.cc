#include "sidecar/upstream/lb_hash.h"

#include "absl/strings/ascii.h"
#include "sidecar/http/cookies.h"
#include "sidecar/upstream/stable_hash.h"

namespace strait::proxy {
HashPolicy HashPolicy::fromProto(const strait::v1::LbConfig::HashPolicy& proto) {
  HashPolicy policy;
  switch (proto.key_case()) {
    case strait::v1::LbConfig::HashPolicy::kHeaderName:
      policy.kind = Kind::kHeader;
      policy.name = absl::AsciiStrToLower(proto.header_name());
      break;
    case strait::v1::LbConfig::HashPolicy::kCookieName:
      policy.kind = Kind::kCookie;
      policy.name = proto.cookie_name();
      break;
    case strait::v1::LbConfig::HashPolicy::kSourceIp:
      if (proto.source_ip()) policy.kind = Kind::kSourceIp;
      break;
    case strait::v1::LbConfig::HashPolicy::KEY_NOT_SET:
      break;
  }
  return policy;
}

std::optional<uint64_t> requestHash(const HashPolicy& policy, const http::RequestHead& head,
                                    std::string_view client_ip) {
  switch (policy.kind) {
    case HashPolicy::Kind::kNone:
      return std::nullopt;
    case HashPolicy::Kind::kSourceIp:
      if (client_ip.empty()) return std::nullopt;
      return xxHash64(client_ip);
    case HashPolicy::Kind::kHeader:
      if (const std::string* value = head.headers.get(policy.name)) return xxHash64(*value);
      return std::nullopt;
    case HashPolicy::Kind::kCookie:
      if (auto value = http::findCookie(head.headers, policy.name)) return xxHash64(*value);
      return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace strait::proxy
