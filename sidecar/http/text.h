// Small text helpers on std::string_view for header field values, shared by the codecs, the
// router and the filters (Debian's Abseil has its own absl::string_view type, so
// absl::StrSplit & co. do not take std::string_view). Pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace strait::http {

// Without leading/trailing optional whitespace (spaces and tabs, RFC 9110 5.6.3). Inline:
// the HTTP/1.1 parser calls it for every header field.
inline std::string_view trimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}
// The pieces between `sep`s (empty pieces included).
std::vector<std::string_view> splitOn(std::string_view s, char sep);
bool equalsIgnoreCase(std::string_view a, std::string_view b);
std::string lowerAscii(std::string_view s);

}  // namespace strait::http
