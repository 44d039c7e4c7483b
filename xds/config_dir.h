// Loading a config directory: every *.yaml / *.yml file directly in DIR (sorted by name,
// hidden files and editor temporaries like "*~" or ".#*" skipped) is parsed as a
// strait.v1.Generation; the files are merged (lists concatenated) and the merged set is
// validated with validateGeneration.
//
// Thread-safe (pure function of the directory's contents).
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "strait/v1/generation.pb.h"

namespace strait::xds {

// Returns the merged, validated generation. Errors (INVALID_ARGUMENT) name the file for
// parse errors ("routes.yaml: line 3: ...") and, for validation errors, the file that
// defines the failing resource ("routes.yaml: route_config 'main': ...: reason").
// How long the steps of one load took (filled as far as the load got).
struct LoadTimings {
  absl::Duration parse;     // reading and parsing the files (YAML -> proto), merging them
  absl::Duration validate;  // validateGeneration of the merged set
};

absl::StatusOr<strait::v1::Generation> loadConfigDir(const std::string& dir, LoadTimings* timings = nullptr);

}  // namespace strait::xds
