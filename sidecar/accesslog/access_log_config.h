// An access log's configuration (strait.v1.AccessLog), checked and parsed: shared by the
// sidecar (access_log.h) and the configuration's validation (xds, straitctl validate), so
// both accept exactly the same. Thread-safe (pure functions).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "strait/v1/listener.pb.h"

namespace strait::accesslog {

// The fields of a line, in the JSON line's order (see listener.proto AccessLog.Format).
enum FieldId : int {
  kStartTime, kDurationMs, kFirstByteMs, kMethod, kAuthority, kPath, kProtocol, kResponseCode,
  kResponseFlags, kResponseCodeDetails, kBytesReceived, kBytesSent, kRoute, kCluster, kUpstreamHost,
  kAttempts, kRequestId, kTraceId, kDownstreamAddress, kClientIp, kPeerIdentity, kListener, kFieldCount,
};

// The JSON key of a field ("response_code"); its text placeholder is the key in upper case.
std::string_view fieldKey(int field);

// A TEXT template, parsed: literal text, or a field (field >= 0).
struct Segment {
  std::string literal;
  int field = -1;
};
// `text` empty: the default template. Errors name the unknown %KEY% or an unclosed %.
absl::StatusOr<std::vector<Segment>> parseTextFormat(std::string_view text);

// Every rule on an AccessLog except that its file can be opened; errors name the field,
// e.g. "filter.sample: must be in (0, 1]".
absl::Status checkAccessLog(const strait::v1::AccessLog& config);

}  // namespace strait::accesslog
