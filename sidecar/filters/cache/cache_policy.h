// RFC 9111 rules as pure functions (no I/O, no clock: `now` is always a parameter, in seconds
// since the epoch), so they are unit tested with any time.
// THREADS: any. ERRORS: malformed input is treated conservatively (an unparsable date is
// "in the past", an unparsable range is ignored), never thrown.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sidecar/http/headers.h"

namespace strait::filters::cache {

// Directives of all cache-control fields of a message. Durations are seconds, -1: absent.
struct CacheControl {
  bool no_store = false;
  bool no_cache = false;
  bool is_private = false;
  bool is_public = false;
  bool must_revalidate = false;  // also set by proxy-revalidate (we are a shared cache)
  bool only_if_cached = false;
  int64_t max_age = -1;
  int64_t s_maxage = -1;
  int64_t max_stale = -1;        // kAnyStale: max-stale without a value
  int64_t min_fresh = -1;
  int64_t stale_while_revalidate = -1;
  int64_t stale_if_error = -1;
  static constexpr int64_t kAnyStale = INT64_MAX / 4;
};

CacheControl parseCacheControl(const http::HeaderMap& headers);
// Request `pragma: no-cache` without cache-control counts as no-cache (RFC 9111 5.4).
CacheControl parseRequestCacheControl(const http::HeaderMap& headers);

// HTTP-date (IMF-fixdate, RFC 850 or asctime) to epoch seconds; -1 if invalid.
int64_t parseHttpDate(std::string_view s);
std::string formatHttpDate(int64_t epoch_seconds);

// Status codes a cache may store with heuristic freshness (RFC 9110 15.1).
bool heuristicallyCacheable(int status);

// Whether a shared cache may store this response to a GET (RFC 9111 3, 3.5). `reason` gets
// a short word for logs when it may not.
bool responseStorable(const http::HeaderMap& request, const CacheControl& request_cc, int status,
                      const http::HeaderMap& response, const CacheControl& response_cc, const char** reason);

// Freshness lifetime in seconds (RFC 9111 4.2.1): s-maxage, max-age, expires - date, else
// heuristic 10% of (date - last-modified) capped by `heuristic_cap`, else 0.
int64_t freshnessLifetime(int status, const http::HeaderMap& response, const CacheControl& cc,
                          int64_t response_time, int64_t heuristic_cap);

// Inputs of the age calculation, fixed when the response is received.
struct AgeInputs {
  int64_t request_time = 0;   // when the request went upstream
  int64_t response_time = 0;  // when the response head arrived
  int64_t date_value = 0;     // its date header (response_time if absent or invalid)
  int64_t age_value = 0;      // its age header (0 if absent)
};
AgeInputs ageInputs(const http::HeaderMap& response, int64_t request_time, int64_t response_time);
// current_age of RFC 9111 4.2.3 (corrected initial age + resident time).
int64_t currentAge(const AgeInputs& in, int64_t now);

// Lower-case field names of the response's vary fields; `star` set for "*".
std::vector<std::string> varyNames(const http::HeaderMap& response, bool* star);
// The request's values of those fields, normalised (joined, whitespace around commas
// removed), one string: the secondary cache key.
std::string varyKey(const std::vector<std::string>& names, const http::HeaderMap& request);

// A single byte range of a `range` request field against a body of `length` bytes.
struct ByteRange {
  enum class Kind { kIgnore, kSatisfiable, kUnsatisfiable };
  Kind kind = Kind::kIgnore;  // kIgnore: no range, several ranges, other units, bad syntax
  uint64_t first = 0;
  uint64_t last = 0;          // inclusive
};
ByteRange parseRange(std::string_view value, uint64_t length);

// if-none-match against an entity tag, weak comparison (RFC 9110 13.1.2); "*" matches.
bool etagMatches(std::string_view if_none_match, std::string_view etag);

}  // namespace strait::filters::cache
