#include "sidecar/filters/access_control/access_control_validate.h"

#include <arpa/inet.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace strait::filters {
namespace {

using strait::v1::AccessControl;
using xds::checkMethods;
using xds::checkRegex;
using xds::isHeaderName;
using xds::isHeaderValue;

// "" if `cidr` is an address or address/prefix-length with no bits set past the prefix.
std::string cidrError(const std::string& cidr) {
  size_t slash = cidr.find('/');
  std::string addr = cidr.substr(0, slash);
  unsigned char bytes[16] = {};
  int bits = 0;
  if (inet_pton(AF_INET, addr.c_str(), bytes) == 1) bits = 32;
  else if (inet_pton(AF_INET6, addr.c_str(), bytes) == 1) bits = 128;
  else return "'" + cidr + "' is not an IP address or CIDR block";
  int len = bits;
  if (slash != std::string::npos) {
    std::string digits = cidr.substr(slash + 1);
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos ||
        !absl::SimpleAtoi(digits, &len) || len > bits) {
      return absl::StrCat("'", cidr, "': prefix length must be 0 to ", bits);
    }
  }
  for (int bit = len; bit < bits; ++bit) {
    if (bytes[bit / 8] & (0x80 >> (bit % 8))) {
      return absl::StrCat("'", cidr, "': address has bits set beyond the /", len, " prefix");
    }
  }
  return "";
}

void checkAccessRule(xds::FieldProblems& p, const std::string& base, const strait::v1::AccessRule& r) {
  if (!isHeaderValue(r.name())) p.add(base + ".name", "must not contain CR, LF or NUL");
  if (!AccessControl::Action_IsValid(r.action())) p.add(base + ".action", "unknown action");
  for (int i = 0; i < r.source_cidrs_size(); ++i) {
    std::string err = cidrError(r.source_cidrs(i));
    if (!err.empty()) p.add(absl::StrCat(base, ".source_cidrs[", i, "]"), err);
  }
  if (r.invert_source() && r.source_cidrs_size() == 0) p.add(base + ".invert_source", "requires source_cidrs");
  if (r.path().has_safe_regex()) checkRegex(p, base + ".path.safe_regex", r.path().safe_regex());
  if (r.path().has_exact() && r.path().exact().empty()) p.add(base + ".path.exact", "must not be empty");
  if (r.path().has_prefix() && r.path().prefix().empty()) p.add(base + ".path.prefix", "must not be empty");
  checkMethods(p, base + ".methods", r.methods());
  for (int i = 0; i < r.headers_size(); ++i) {
    const auto& h = r.headers(i);
    const std::string path = absl::StrCat(base, ".headers[", i, "]");
    if (!isHeaderName(h.name())) p.add(path + ".name", "invalid header name '" + h.name() + "'");
    if (h.has_safe_regex()) checkRegex(p, path + ".safe_regex", h.safe_regex());
    if (h.has_exact() && !isHeaderValue(h.exact())) p.add(path + ".exact", "header value must not contain CR, LF or NUL");
  }
}

}  // namespace

void validateAccessControl(const AccessControl& a, const std::string& base, xds::FieldProblems& p) {
  if (!AccessControl::Action_IsValid(a.default_action())) p.add(base + ".default_action", "unknown action");
  for (int i = 0; i < a.rules_size(); ++i) checkAccessRule(p, absl::StrCat(base, ".rules[", i, "]"), a.rules(i));
}

}  // namespace strait::filters
