// Prometheus text exposition helpers shared by every /stats renderer. Label values come from
// configuration names (clusters, routes, filter scopes), which validation does not restrict:
// a name with '"', '\' or a newline must not break the exposition format, so every label
// value goes through escapeLabelValue (the format's three escapes).
// THREADS: any (pure functions).
#pragma once

#include <string>
#include <string_view>

namespace strait::core {

inline std::string escapeLabelValue(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace strait::core
