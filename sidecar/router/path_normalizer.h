// Request-path normalisation (the rule is documented on PathNormalization in route.proto)
// and the percent-decoding used by query-parameter matching. Pure functions; any thread.
#pragma once

#include <string>
#include <string_view>

namespace strait::proxy {

struct PathNormalizationOptions {
  bool merge_slashes = false;           // "//" -> "/"
  bool reject_encoded_slashes = false;  // "%2F" / "%5C" -> refuse (else kept encoded)
};

// Normalises `path` (no query) in place: unreserved escapes decoded, other escapes' hex
// upper-cased, dot segments removed, optionally slashes merged. Returns false when the
// request must be refused (400): an encoded slash with reject_encoded_slashes. A path not
// starting with "/" ("*", absolute-form) is left as it is.
bool normalizePath(std::string* path, const PathNormalizationOptions& options);

// RFC 3986 5.2.4 remove_dot_segments on an absolute path ("/a/b/../c" -> "/a/c").
std::string removeDotSegments(std::string_view path);

// Percent-decodes every valid "%XX" ("+" is not a space); malformed escapes stay literal.
std::string percentDecode(std::string_view in);

}  // namespace strait::proxy
