// Validation of the cache filter's config (filter_cache.proto: size limits, the status
// header, the heuristic freshness cap), owned by the filter: every problem names the field
// under `base` (e.g. "virtual_hosts[0].filters[1].cache"). Used by the generation's
// validation (xds/validate_filters.cc, through filter_kinds.h) and by the factory.
// THREADS: any (pure).
#pragma once

#include <cstdint>
#include <string>

#include "strait/v1/filter_cache.pb.h"
#include "xds/field_rules.h"

namespace strait::filters {

namespace cache {
inline constexpr uint64_t kDefaultMaxBytes = uint64_t{64} << 20;   // max_bytes unset
inline constexpr uint64_t kMaxMaxBytes = uint64_t{64} << 30;       // 64 GiB
inline constexpr uint64_t kDefaultMaxObject = uint64_t{1} << 20;   // max_object_bytes unset
inline constexpr uint32_t kMaxHeuristicCap = 365 * 86400;          // one year
}  // namespace cache

void validateCache(const strait::v1::Cache& config, const std::string& base, xds::FieldProblems& p);

}  // namespace strait::filters
