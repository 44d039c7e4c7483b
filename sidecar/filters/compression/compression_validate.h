// Validation of the compression filter's config (filter_compression.proto: encodings, media
// types, level and window ranges), owned by the filter: every
// problem names the field under `base` (e.g. "virtual_hosts[0].filters[1].compression"). Used
// by the generation's validation (xds/validate_filters.cc, through filter_kinds.h), so a
// bad config is refused by straitctl validate, the control plane and the sidecar alike.
// THREADS: any (pure).
#pragma once

#include <string>

#include "strait/v1/filter_compression.pb.h"
#include "xds/field_rules.h"

namespace strait::filters {

void validateCompression(const strait::v1::Compression& config, const std::string& base, xds::FieldProblems& p);

}  // namespace strait::filters
