// SPIFFE ID formatting and parsing (see spiffe_id.h).
#include "control/ca/spiffe_id.h"

#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace strait::ca {

std::string SpiffeId::toUri() const {
  return absl::StrCat("spiffe://", trust_domain, "/ns/", ns, "/sa/", service_account);
}

bool validSpiffePart(const std::string& part) {
  if (part.empty() || part.size() > 253) return false;
  for (char c : part) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

absl::StatusOr<SpiffeId> parseSpiffeId(const std::string& uri) {
  constexpr absl::string_view kScheme = "spiffe://";
  if (!absl::StartsWith(uri, kScheme)) {
    return absl::InvalidArgumentError(absl::StrCat("not a spiffe:// URI: '", uri, "'"));
  }
  std::vector<std::string> parts = absl::StrSplit(uri.substr(kScheme.size()), '/');
  if (parts.size() != 5 || parts[1] != "ns" || parts[3] != "sa") {
    return absl::InvalidArgumentError(
        absl::StrCat("not of the form spiffe://<domain>/ns/<ns>/sa/<sa>: '", uri, "'"));
  }
  SpiffeId id{parts[0], parts[2], parts[4]};
  if (!validSpiffePart(id.trust_domain) || !validSpiffePart(id.ns) ||
      !validSpiffePart(id.service_account)) {
    return absl::InvalidArgumentError(absl::StrCat("invalid characters in '", uri, "'"));
  }
  return id;
}

}  // namespace strait::ca
