// The list of HTTP filter kinds and the validation each filter folder owns: one row per
// filter, naming its HttpFilter oneof case, its field name and its validator. Adding a filter
// is one row here (validation) and one in registry.cc (its factory); the checks live in the
// filter's folder (<name>_validate.cc). Kept apart from the factories so the control plane
// and straitctl validate every filter without linking the data path.
// THREADS: any (a constant table).
#pragma once

#include <string>
#include <string_view>

#include "strait/v1/filter.pb.h"
#include "xds/field_rules.h"

namespace strait::filters {

struct FilterKind {
  strait::v1::HttpFilter::ConfigCase config_case;
  std::string_view name;  // the oneof field's name, e.g. "access_control"
  // Checks the filter's config (the oneof member of `filter`); fields under `base`.
  void (*validate)(const strait::v1::HttpFilter& filter, const std::string& base, xds::FieldProblems& p);
};

// The kind of `config_case`, or nullptr (none set, or a kind this build does not know).
const FilterKind* findFilterKind(strait::v1::HttpFilter::ConfigCase config_case);
// "access_control, cors, ..." for messages.
std::string filterKindNames();

}  // namespace strait::filters
