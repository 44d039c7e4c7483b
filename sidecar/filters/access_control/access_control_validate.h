// Validation of the access-control filter's config (filter_access.proto), owned by the filter: every
// problem names the field under `base` (e.g. "virtual_hosts[0].filters[1].access_control"). Used
// by the generation's validation (xds/validate_filters.cc, through filter_kinds.h), so a
// bad config is refused by straitctl validate, the control plane and the sidecar alike.
// THREADS: any (pure).
#pragma once

#include <string>

#include "strait/v1/filter_access.pb.h"
#include "xds/field_rules.h"

namespace strait::filters {

void validateAccessControl(const strait::v1::AccessControl& config, const std::string& base, xds::FieldProblems& p);

}  // namespace strait::filters
