// JSON text helpers shared by the admin endpoint's renderers (they write JSON by hand: the
// documents are small and flat, and most of their values are counters).
// THREADS: any (pure functions).
#pragma once

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace strait::server {

// Appends `s` as a JSON string literal: quotes, backslashes and control bytes escaped.
inline void appendJsonString(std::string& out, absl::string_view s) {
  out += '"';
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      absl::StrAppend(&out, "\\u00", c < 0x10 ? "0" : "", absl::Hex(c));
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
}

inline const char* jsonBool(bool b) { return b ? "true" : "false"; }

}  // namespace strait::server
