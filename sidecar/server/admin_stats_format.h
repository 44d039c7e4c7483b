// /stats?filter=REGEX and /stats?format=json: both work on the Prometheus text that every
// stats renderer writes, so a family added anywhere is filtered and converted with no change
// here. THREADS: any (pure functions).
//
// A metric family is the name after "# HELP"/"# TYPE"; its samples follow those lines (a
// sample is "name{labels} value" or "name value"; names of a histogram's or summary's
// samples extend the family's name with "_bucket", "_sum", "_count"). A sample with no
// preceding HELP/TYPE of its own family counts as a family of its own name.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "re2/re2.h"

namespace strait::server {

// Compiles a family-name filter (RE2 syntax, matched anywhere in the name, as grep does:
// anchor with ^...$ for an exact name). InvalidArgument with RE2's error text if bad.
absl::StatusOr<std::unique_ptr<RE2>> compileStatsFilter(const std::string& pattern);

// The families of `text` whose name matches `filter` (all if null), with their HELP and
// TYPE lines, as Prometheus text.
std::string filterStats(absl::string_view text, const RE2* filter);

// The samples of the matching families as one JSON object, sample name with its labels as
// written in the text (e.g. "strait_downstream_rq_total{code_class=\"2xx\"}") -> value: a
// JSON number, or a string for values JSON has no number for (NaN, +Inf).
std::string statsToJson(absl::string_view text, const RE2* filter);

}  // namespace strait::server
