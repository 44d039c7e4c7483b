// Validation of the WAF filter's config (filter_waf.proto), owned by the filter: every
// problem names the field under `base`. The inline `rules` are compiled (alone, without the
// CRS) so that a syntax error is refused by straitctl validate and the control plane too;
// rule files live on the sidecar's host and are checked when the sidecar builds the filter.
// THREADS: any (rule compilation is serialized inside, see waf_rules.h).
#pragma once

#include <string>

#include "strait/v1/filter_waf.pb.h"
#include "xds/field_rules.h"

namespace strait::filters {

void validateWaf(const strait::v1::Waf& config, const std::string& base, xds::FieldProblems& p);

}  // namespace strait::filters
