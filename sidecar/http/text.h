// Small text helpers on std::string_view for header field values, shared by the codecs, the
// router and the filters (Debian's Abseil has its own absl::string_view type, so
// absl::StrSplit & co. do not take std::string_view). Pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace strait::http {

// Inline where the HTTP/1.1 parser calls them for every header field.

// Optional whitespace (RFC 9110 5.6.3): space or tab.
inline bool isOws(char c) { return c == ' ' || c == '\t'; }
inline char lowerAscii(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
// Without leading/trailing optional whitespace.
inline std::string_view trimOws(std::string_view s) {
  while (!s.empty() && isOws(s.front())) s.remove_prefix(1);
  while (!s.empty() && isOws(s.back())) s.remove_suffix(1);
  return s;
}
inline bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); i++) {
    if (lowerAscii(a[i]) != lowerAscii(b[i])) return false;
  }
  return true;
}
inline std::string lowerAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lowerAscii(c);
  return out;
}
// A hex digit's value (either case), -1 for anything else (percent-decoding, trace ids).
inline int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
// The pieces between `sep`s (empty pieces included).
std::vector<std::string_view> splitOn(std::string_view s, char sep);

}  // namespace strait::http
