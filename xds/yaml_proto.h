// YAML -> protobuf through the proto3 JSON mapping, so a config file and the wire share one
// schema (strait.v1.Generation for config directories, strait.v1.Bootstrap for sidecars).
//
// Thread-safe (pure function). Errors: INVALID_ARGUMENT whose message names the line and
// field path, e.g. "line 12: listeners[0].port: expected a number, got 'abc'".
#pragma once

#include <string>

#include "absl/status/status.h"
#include "google/protobuf/message.h"

namespace strait::xds {

// Parses `yaml` (one YAML document; an empty document yields an empty message) into `out`.
// Unknown fields are an error (a typo must not be silently ignored).
absl::Status yamlToMessage(const std::string& yaml, google::protobuf::Message* out);

// Reads the file at `path` and parses it with yamlToMessage; errors are prefixed with the path.
absl::Status yamlFileToMessage(const std::string& path, google::protobuf::Message* out);

}  // namespace strait::xds
