#include "sidecar/filters/access_control/cidr.h"

#include <arpa/inet.h>

#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace strait::filters {

bool IpAddress::parse(std::string_view text, IpAddress* out) {
  char buf[INET6_ADDRSTRLEN + 1];
  if (text.empty() || text.size() >= sizeof(buf)) return false;
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  *out = IpAddress();
  if (inet_pton(AF_INET, buf, out->bytes) == 1) return true;
  if (inet_pton(AF_INET6, buf, out->bytes) != 1) return false;
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(out->bytes, kMapped, sizeof(kMapped)) == 0) {
    std::memmove(out->bytes, out->bytes + 12, 4);
    std::memset(out->bytes + 4, 0, 12);
    return true;
  }
  out->v6 = true;
  return true;
}

absl::StatusOr<CidrRange> CidrRange::parse(std::string_view text_in) {
  absl::string_view text(text_in.data(), text_in.size());
  CidrRange r;
  absl::string_view addr = text;
  size_t slash = text.find('/');
  if (slash != absl::string_view::npos) addr = text.substr(0, slash);
  if (!IpAddress::parse(std::string_view(addr.data(), addr.size()), &r.base_)) {
    return absl::InvalidArgumentError(absl::StrCat("'", text, "' is not an IP address or CIDR block"));
  }
  int max_len = r.base_.v6 ? 128 : 32;
  r.prefix_len_ = max_len;
  if (slash != absl::string_view::npos) {
    absl::string_view len = text.substr(slash + 1);
    if (!absl::SimpleAtoi(len, &r.prefix_len_) || len.empty() ||
        len[0] == '+' || len[0] == '-' || r.prefix_len_ < 0 || r.prefix_len_ > max_len) {
      return absl::InvalidArgumentError(
          absl::StrCat("'", text, "': prefix length must be 0 to ", max_len));
    }
  }
  for (int bit = r.prefix_len_; bit < max_len; bit++) {
    if (r.base_.bytes[bit / 8] & (0x80 >> (bit % 8))) {
      return absl::InvalidArgumentError(
          absl::StrCat("'", text, "': address has bits set beyond the /", r.prefix_len_, " prefix"));
    }
  }
  return r;
}

bool CidrRange::contains(const IpAddress& addr) const {
  if (addr.v6 != base_.v6) return false;
  int full = prefix_len_ / 8;
  if (std::memcmp(addr.bytes, base_.bytes, full) != 0) return false;
  int rest = prefix_len_ % 8;
  if (rest == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (addr.bytes[full] & mask) == (base_.bytes[full] & mask);
}

}  // namespace strait::filters
