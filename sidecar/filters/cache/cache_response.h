// What the cache filter and its background revalidation share: the filter's settings, the
// clock, and the rules turning an upstream response into a stored one (RFC 9111 3 and 4.3.4).
// THREADS: any (pure functions; the clock is an atomic function pointer).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "sidecar/filters/cache/cache_entry.h"
#include "sidecar/filters/cache/cache_policy.h"
#include "sidecar/http/h1_codec.h"

namespace strait::filters::cache {

struct Settings {
  std::string status_header;      // "" when disabled
  int64_t heuristic_cap = 86400;  // seconds, upper bound of heuristic freshness
};

// Wall-clock seconds (setClockForTest in cache_filter.h replaces it).
int64_t nowS();

// Bytes a stored head is charged for.
uint64_t headBytes(const http::HeaderMap& headers);

// The stored form of an upstream response to `request` (sent at `request_time`), or null
// when it must not be stored: RFC 9111 3 (responseStorable), neither freshness nor a
// validator, or a content-length over `max_object` (counted as too_large).
std::shared_ptr<StoredResponse> storableResponse(const http::ResponseHead& head, const http::HeaderMap& request,
                                                 const CacheControl& request_cc, int64_t request_time,
                                                 const Settings& settings, uint64_t max_object);

// `old` updated by a 304's fields (RFC 9111 4.3.4); freshness starts again.
std::shared_ptr<const StoredResponse> refreshedResponse(const StoredResponse& old, const http::HeaderMap& fresh,
                                                        int64_t request_time, const Settings& settings);

}  // namespace strait::filters::cache
