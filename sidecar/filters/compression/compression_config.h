// A Compression filter config compiled for the data path, and the rules deciding whether a
// response may be compressed. Built once per generation (ADS thread), then read-only.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "sidecar/filters/compression/encoder.h"
#include "sidecar/http/h1_codec.h"
#include "strait/v1/filter_compression.pb.h"

namespace strait::filters::compression {

struct CompressionConfig {
  std::vector<Encoding> preference;        // server preference order, never empty
  std::vector<std::string> content_types;  // lower-case "type/subtype" or "type/*"
  uint64_t min_content_length = 30;        // smaller known-length responses pass as they are
  EncoderParams params;                    // levels and windows
};

// The defaults of filter_compression.proto applied; errors name the field (validation
// should have refused them already).
absl::StatusOr<std::shared_ptr<const CompressionConfig>> compileCompressionConfig(const strait::v1::Compression& proto);

// The media type of a content-type value, lower-case, without parameters.
std::string mediaType(std::string_view content_type);
bool contentTypeMatches(const std::vector<std::string>& patterns, std::string_view content_type);

// Whether this response may be compressed, whatever the client accepts: it has a body, is
// not partial, not already encoded, not no-transform, of a listed type and large enough.
// `head_request`: the request was HEAD (its response has no body whatever the framing says).
bool responseQualifies(const CompressionConfig& config, const http::ResponseHead& head, http::BodyFraming framing,
                       uint64_t length, bool head_request);

// Whether the 200 that this 304 stands for would have qualified, so the 304 carries the same
// vary and etag (RFC 9110 15.4.5). The size is unknown (a 304 has no body) and is not
// checked; a 304 without content-type (upstreams often omit it) counts as qualifying: a
// needless `vary: accept-encoding` only splits a downstream cache's variants, a missing one
// lets it serve a compressed variant to a client that cannot decode it.
bool notModifiedQualifies(const CompressionConfig& config, const http::ResponseHead& head);
// A response to HEAD whose GET would be compressed (by its status, type, content-length
// field and directives): it gets the GET's vary, not its encoding.
bool headResponseQualifies(const CompressionConfig& config, const http::ResponseHead& head);

}  // namespace strait::filters::compression
