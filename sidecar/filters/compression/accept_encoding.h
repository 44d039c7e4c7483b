// The request's accept-encoding (RFC 9110 12.5.3) and the choice of a content-coding.
// Pure functions, any thread.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "sidecar/filters/compression/encoder.h"
#include "sidecar/http/headers.h"

namespace strait::filters::compression {

// q-values in thousandths (0..1000); -1: not mentioned.
struct AcceptEncoding {
  int q[kEncodingCount] = {-1, -1, -1};  // indexed by Encoding
  int star = -1;                         // "*"
  // The q-value the client gives `e`: its own, else that of "*", else 0 (not acceptable).
  int qOf(Encoding e) const;
};

// Parses a comma-separated list ("br;q=1.0, gzip;q=0.5, *;q=0"). Codings are
// case-insensitive, "x-gzip" counts as gzip; elements with a malformed q-value are ignored.
AcceptEncoding parseAcceptEncoding(std::string_view value);
// Every accept-encoding field of the request (several fields are one list).
AcceptEncoding parseAcceptEncoding(const http::HeaderMap& headers);

// The encoding to use: the highest q-value above 0 among `preference`, ties to the earlier
// one; nullopt if none is acceptable (no accept-encoding at all means none).
std::optional<Encoding> chooseEncoding(const AcceptEncoding& accept, const std::vector<Encoding>& preference);

}  // namespace strait::filters::compression
