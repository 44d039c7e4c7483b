#include "sidecar/filters/cache/cache_validate.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace strait::filters {
namespace {

// The status header is written as configured: lower-case, so HTTP/2 can carry it.
bool lowerCaseHeaderName(const std::string& name) {
  if (name.empty()) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; });
}

}  // namespace

void validateCache(const strait::v1::Cache& config, const std::string& base, xds::FieldProblems& p) {
  using namespace cache;  // NOLINT: the limits
  uint64_t max_bytes = config.max_bytes() ? config.max_bytes() : kDefaultMaxBytes;
  uint64_t max_object = config.max_object_bytes() ? config.max_object_bytes() : kDefaultMaxObject;
  if (max_bytes > kMaxMaxBytes) {
    p.add(base + ".max_bytes", absl::StrCat(max_bytes, " is over the limit of ", kMaxMaxBytes, " (64 GiB)"));
  }
  if (max_object > max_bytes) {
    p.add(base + ".max_object_bytes", absl::StrCat(max_object, " must not exceed max_bytes (", max_bytes, ")"));
  }
  if (!config.status_header().empty() && !lowerCaseHeaderName(config.status_header())) {
    p.add(base + ".status_header",
          absl::StrCat("'", config.status_header(), "' is not a lower-case header name (a-z, 0-9, '-')"));
  }
  if (config.max_heuristic_seconds() > kMaxHeuristicCap) {
    p.add(base + ".max_heuristic_seconds",
          absl::StrCat(config.max_heuristic_seconds(), " is over one year (", kMaxHeuristicCap, ")"));
  }
}

}  // namespace strait::filters
