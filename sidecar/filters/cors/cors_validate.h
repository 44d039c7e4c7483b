// Validation of the CORS filter's config (filter_cors.proto), owned by the filter: every
// problem names the field under `base` (e.g. "virtual_hosts[0].filters[1].cors"). Used
// by the generation's validation (xds/validate_filters.cc, through filter_kinds.h), so a
// bad config is refused by straitctl validate, the control plane and the sidecar alike.
// THREADS: any (pure).
#pragma once

#include <string>

#include "strait/v1/filter_cors.pb.h"
#include "xds/field_rules.h"

namespace strait::filters {

void validateCors(const strait::v1::Cors& config, const std::string& base, xds::FieldProblems& p);

}  // namespace strait::filters
