// CIDR blocks for address matching: parsed once (per generation), compared per request
// without allocating. THREADS: immutable after parse, shared freely.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace strait::filters {

// An IPv4 or IPv6 address in network byte order. IPv4-mapped IPv6 addresses are stored as IPv4.
struct IpAddress {
  bool v6 = false;
  uint8_t bytes[16] = {};
  // Parses an address literal ("10.1.2.3", "::1", "::ffff:10.1.2.3"); false if not one.
  static bool parse(std::string_view text, IpAddress* out);
};

class CidrRange {
 public:
  // "10.0.0.0/8", "2001:db8::/32", or a bare address (a /32 or /128). Bits after the prefix
  // must be zero ("10.1.0.0/8" is refused: it is almost always a typo).
  static absl::StatusOr<CidrRange> parse(std::string_view text);
  bool contains(const IpAddress& addr) const;

 private:
  IpAddress base_;
  int prefix_len_ = 0;
};

}  // namespace strait::filters
