#include "sidecar/upstream/lb_hash.h"

#include "absl/strings/ascii.h"
#include "sidecar/upstream/stable_hash.h"

namespace strait::proxy {
namespace {

// Optional whitespace around cookie names and values (RFC 6265 5.2).
std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

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

std::optional<std::string_view> findCookie(std::string_view cookie_header, std::string_view name) {
  while (!cookie_header.empty()) {
    size_t end = cookie_header.find(';');
    std::string_view pair = trim(cookie_header.substr(0, end));
    cookie_header = end == std::string_view::npos ? std::string_view() : cookie_header.substr(end + 1);
    size_t eq = pair.find('=');
    if (eq != std::string_view::npos && trim(pair.substr(0, eq)) == name) {
      return trim(pair.substr(eq + 1));
    }
  }
  return std::nullopt;
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
      // HTTP/2 clients may split cookies over several fields (RFC 9113 8.2.3).
      for (const auto& field : head.headers.fields()) {
        if (field.name != "cookie") continue;
        if (auto value = findCookie(field.value, policy.name)) return xxHash64(*value);
      }
      return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace strait::proxy
