#include "sidecar/filters/local_rate_limit/local_rate_limit_validate.h"

#include "absl/strings/str_cat.h"

namespace strait::filters {

using strait::v1::LocalRateLimit;
using xds::isHeaderName;
using xds::isValidDuration;
using xds::toNanos;

void validateLocalRateLimit(const LocalRateLimit& r, const std::string& base, xds::FieldProblems& p) {
  if (r.max_tokens() < 1 || r.max_tokens() > 10000000) p.add(base + ".max_tokens", "must be 1 to 10000000");
  if (r.tokens_per_fill() > r.max_tokens()) p.add(base + ".tokens_per_fill", "must be at most max_tokens");
  if (!r.has_fill_interval()) {
    p.add(base + ".fill_interval", "is required");
  } else {
    const auto& d = r.fill_interval();
    int64_t ns = isValidDuration(d) ? toNanos(d) : -1;
    if (ns < 1000000 || ns > 86400LL * 1000000000) p.add(base + ".fill_interval", "must be 1ms to 24h");
  }
  if (!LocalRateLimit::KeySource_IsValid(r.key())) p.add(base + ".key", "unknown key source");
  if (r.key() == LocalRateLimit::HEADER) {
    if (!isHeaderName(r.key_header())) p.add(base + ".key_header", "a header name is required with key HEADER");
  } else if (!r.key_header().empty()) {
    p.add(base + ".key_header", "only valid with key HEADER");
  }
  if (r.max_keys() > 1000000) p.add(base + ".max_keys", "must be at most 1000000");
  if (r.max_keys() > 0 && r.key() == LocalRateLimit::NONE) p.add(base + ".max_keys", "only valid with a key");
}

}  // namespace strait::filters
