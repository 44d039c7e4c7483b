#include "sidecar/router/route_match.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "sidecar/router/path_normalizer.h"

namespace strait::proxy {
namespace {

// absl::string_view is not std::string_view in this absl build.
absl::string_view av(std::string_view s) { return absl::string_view(s.data(), s.size()); }

}  // namespace

std::optional<IpBytes> IpBytes::parse(std::string_view ip) {
  if (ip.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  char buf[INET6_ADDRSTRLEN];
  std::memcpy(buf, ip.data(), ip.size());
  buf[ip.size()] = '\0';
  IpBytes out;
  in_addr v4;
  if (inet_pton(AF_INET, buf, &v4) == 1) {
    out.bytes[10] = out.bytes[11] = 0xff;
    std::memcpy(&out.bytes[12], &v4, 4);
    return out;
  }
  in6_addr v6;
  if (inet_pton(AF_INET6, buf, &v6) == 1) {
    std::memcpy(out.bytes.data(), &v6, 16);
    return out;
  }
  return std::nullopt;
}

absl::StatusOr<CidrRange> CidrRange::parse(std::string_view cidr) {
  size_t slash = cidr.find('/');
  std::string_view addr = cidr.substr(0, slash);
  auto ip = IpBytes::parse(addr);
  if (!ip) return absl::InvalidArgumentError(absl::StrCat("invalid address '", av(addr), "'"));
  bool v4 = addr.find(':') == std::string_view::npos;
  int max_len = v4 ? 32 : 128;
  int len = max_len;
  if (slash != std::string_view::npos) {
    std::string_view n = cidr.substr(slash + 1);
    if (!absl::SimpleAtoi(av(n), &len) || n.empty() || n[0] == '+' || len < 0 || len > max_len) {
      return absl::InvalidArgumentError(absl::StrCat("invalid prefix length '", av(n), "' (0..", max_len, ")"));
    }
  }
  CidrRange r;
  r.base = *ip;
  r.prefix_len = v4 ? len + 96 : len;
  // Clear the host bits so contains() compares masked bytes only.
  for (int i = 0; i < 16; i++) {
    int bits = std::min(8, std::max(0, r.prefix_len - i * 8));
    r.base.bytes[i] &= static_cast<uint8_t>(0xff00 >> bits);
  }
  return r;
}

bool CidrRange::contains(const IpBytes& ip) const {
  for (int i = 0; i < 16; i++) {
    int bits = std::min(8, std::max(0, prefix_len - i * 8));
    if (bits == 0) return true;
    if ((ip.bytes[i] & static_cast<uint8_t>(0xff00 >> bits)) != base.bytes[i]) return false;
  }
  return true;
}

bool CompiledHeaderMatcher::matches(const http::HeaderMap& headers) const {
  const std::string* v = headers.get(name);
  bool result = false;
  switch (kind) {
    case Kind::kExact: result = v && *v == exact; break;
    case Kind::kRegex: result = v && re2::RE2::FullMatch(*v, *regex); break;
    case Kind::kPresent: result = (v != nullptr) == present; break;
  }
  return result != invert;
}

std::optional<std::string> findQueryParameter(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    size_t eq = pair.find('=');
    std::string_view raw_name = pair.substr(0, eq);
    bool same = raw_name.find('%') == std::string_view::npos ? raw_name == name
                                                              : percentDecode(raw_name) == name;
    if (!same) continue;
    if (eq == std::string_view::npos) return std::string();
    return percentDecode(pair.substr(eq + 1));
  }
  return std::nullopt;
}

bool CompiledQueryMatcher::matches(std::string_view raw_query) const {
  std::optional<std::string> v = findQueryParameter(raw_query, name);
  bool result = false;
  switch (kind) {
    case Kind::kExact: result = v && *v == exact; break;
    case Kind::kRegex: result = v && re2::RE2::FullMatch(*v, *regex); break;
    case Kind::kPresent: result = v.has_value() == present; break;
  }
  return result != invert;
}

}  // namespace strait::proxy
