// Validation of the local rate-limit filter's config (filter_rate_limit.proto), owned by the filter: every
// problem names the field under `base` (e.g. "virtual_hosts[0].filters[1].local_rate_limit"). Used
// by the generation's validation (xds/validate_filters.cc, through filter_kinds.h), so a
// bad config is refused by straitctl validate, the control plane and the sidecar alike.
// THREADS: any (pure).
#pragma once

#include <string>

#include "strait/v1/filter_rate_limit.pb.h"
#include "xds/field_rules.h"

namespace strait::filters {

void validateLocalRateLimit(const strait::v1::LocalRateLimit& config, const std::string& base, xds::FieldProblems& p);

}  // namespace strait::filters
