// An admin request target split into its path and its query parameters: "/stats?filter=a%7Cb"
// -> path "/stats", {filter: "a|b"}. Parsing is strict, since every byte comes from a client:
// a malformed query is an error (the admin endpoint answers 400 with its message), never a
// crash or a guess. The rules:
//   - parameters are separated by '&'; empty ones ("a=1&&b=2", a trailing '&') are skipped;
//   - "key=value", or "key" alone (value ""); the key must not be empty;
//   - keys and values are percent-decoded ("%7C" -> '|', '+' -> ' '); a '%' not followed by
//     two hex digits is an error;
//   - a key given twice is an error (which one would win is not obvious to the sender).
// The path is taken as sent (no decoding): admin paths are plain ASCII names.
// THREADS: any (pure functions).
#pragma once

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace strait::server {

class AdminQuery {
 public:
  // The parameter's decoded value, or null if absent.
  const std::string* get(absl::string_view key) const;
  bool has(absl::string_view key) const { return get(key) != nullptr; }
  bool empty() const { return params_.empty(); }
  // InvalidArgument naming the first parameter not in `allowed` (typos are answered, not
  // ignored: "/stats?filer=x" must not look like an unfiltered success).
  absl::Status allowOnly(std::initializer_list<absl::string_view> allowed) const;

 private:
  friend absl::StatusOr<AdminQuery> parseAdminQuery(absl::string_view query);
  std::vector<std::pair<std::string, std::string>> params_;  // decoded, in request order
};

struct AdminTarget {
  std::string path;   // before '?', as sent
  AdminQuery query;   // after '?'
};

// Decodes %XX escapes and '+'; InvalidArgument on a bad escape.
absl::StatusOr<std::string> percentDecode(absl::string_view in);
// Parses the text after '?' (without it).
absl::StatusOr<AdminQuery> parseAdminQuery(absl::string_view query);
// Splits a request target at the first '?' and parses the query.
absl::StatusOr<AdminTarget> parseAdminTarget(absl::string_view target);

}  // namespace strait::server
