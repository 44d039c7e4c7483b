// The conditions of a RouteMatch besides the path, compiled once per generation: header,
// query-parameter, method and client-address matchers. Immutable after build; any thread.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "re2/re2.h"
#include "sidecar/http/headers.h"

namespace strait::proxy {

// A client address in the form CIDR ranges compare: 16 bytes (IPv4 mapped to ::ffff:a.b.c.d).
struct IpBytes {
  std::array<uint8_t, 16> bytes{};
  // Parses "1.2.3.4" or "::1" (no brackets, no port); nullopt otherwise.
  static std::optional<IpBytes> parse(std::string_view ip);
};

struct CidrRange {
  IpBytes base;
  int prefix_len = 128;  // in the 16-byte (v4-mapped) space
  // "10.0.0.0/8", "::1/128", or a bare address. INVALID_ARGUMENT with the reason.
  static absl::StatusOr<CidrRange> parse(std::string_view cidr);
  bool contains(const IpBytes& ip) const;
};

// What a route is matched against (views valid for the call).
struct RouteRequest {
  std::string_view host;    // Host / :authority
  std::string_view path;    // normalised, without query
  std::string_view query;   // raw, after "?" ("" if none)
  std::string_view method;
  const http::HeaderMap* headers = nullptr;
  const IpBytes* client = nullptr;  // null: unknown (source_cidrs then never match)
  uint32_t destination_port = 0;    // the port the client connected to (0: unknown)
};

struct CompiledHeaderMatcher {
  std::string name;  // lower-case
  enum class Kind { kExact, kRegex, kPresent } kind = Kind::kPresent;
  std::string exact;
  std::unique_ptr<re2::RE2> regex;
  bool present = true;
  bool invert = false;
  bool matches(const http::HeaderMap& headers) const;
};

struct CompiledQueryMatcher {
  std::string name;  // decoded
  enum class Kind { kExact, kRegex, kPresent } kind = Kind::kPresent;
  std::string exact;
  std::unique_ptr<re2::RE2> regex;
  bool present = true;
  bool invert = false;
  bool matches(std::string_view raw_query) const;
};

// The decoded value of the first parameter called `name` in a raw query (see
// QueryParameterMatcher in route.proto for the rule); nullopt if absent.
std::optional<std::string> findQueryParameter(std::string_view raw_query, std::string_view name);

}  // namespace strait::proxy
