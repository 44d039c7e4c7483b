// The cache filter (proto Cache): config validation, the factory (one Store per scope, kept
// across generations), and the per-request filter.
//
// A request's role is decided in onRequestHead:
//   hit        a usable stored object (complete, or being filled by another request, on any
//              worker): answered from it (kStop), streamed as chunks arrive;
//   waiter     another request is fetching the object (collapsed): kStop until its head
//              arrives, then a hit; if it fails or does not match our vary, we go upstream;
//   filler     a miss that inserted a pending entry: the upstream response fills it;
//   revalidator a stale object with validators: conditional request upstream; a 304
//              refreshes the object and the client gets the stored response;
//   stale      within stale-while-revalidate: a hit on the stale object, and (one per
//              object) a background conditional request refreshes it (BackgroundRevalidation);
//   pass       anything else (unsafe methods invalidate the URL on a 2xx/3xx answer).
// THREADS: filters run on their request's worker; the Store and entries are thread-safe.
#pragma once

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "sidecar/filters/filter.h"
#include "sidecar/filters/shared_state.h"
#include "strait/v1/filter_cache.pb.h"

namespace strait::filters::cache {

// Checks limits and names; the message names the field.
absl::Status validateCacheConfig(const strait::v1::Cache& config);

absl::StatusOr<std::shared_ptr<const FilterFactory>> createCacheFactory(const strait::v1::Cache& config,
                                                                        SharedState* shared, const std::string& scope);

// Wall-clock seconds; tests replace it.
using ClockFn = int64_t (*)();
void setClockForTest(ClockFn clock);

}  // namespace strait::filters::cache
