#include "sidecar/accesslog/json_string.h"

#include "absl/strings/str_format.h"

namespace strait::accesslog {

void appendJsonString(std::string* out_ptr, std::string_view s) {
  out_ptr->push_back('"');
  appendJsonStringBody(out_ptr, s);
  out_ptr->push_back('"');
}

void appendJsonStringBody(std::string* out_ptr, std::string_view s) {
  std::string& out = *out_ptr;
  size_t i = 0;
  while (i < s.size()) {
    // A run of printable ASCII that needs no escape goes in one append.
    size_t run = i;
    while (run < s.size()) {
      unsigned char r = static_cast<unsigned char>(s[run]);
      if (r < 0x20 || r >= 0x7f || r == '"' || r == '\\') break;
      run++;
    }
    if (run > i) {
      out.append(s.data() + i, run - i);
      i = run;
      continue;
    }
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
          if (c < 0x20 || c == 0x7f) absl::StrAppendFormat(&out, "\\u%04x", c);
          else out.push_back(static_cast<char>(c));
      }
      i++;
      continue;
    }
    // A valid UTF-8 sequence is copied; anything else becomes U+FFFD.
    size_t len = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
    bool ok = len > 0 && i + len <= s.size();
    for (size_t k = 1; ok && k < len; k++) ok = (static_cast<unsigned char>(s[i + k]) & 0xc0) == 0x80;
    if (ok && len == 3) {
      unsigned char c1 = static_cast<unsigned char>(s[i + 1]);
      ok = !(c == 0xe0 && c1 < 0xa0) && !(c == 0xed && c1 >= 0xa0);  // overlong, surrogates
    }
    if (ok && len == 4) {
      unsigned char c1 = static_cast<unsigned char>(s[i + 1]);
      ok = !(c == 0xf0 && c1 < 0x90) && !(c == 0xf4 && c1 >= 0x90);
    }
    if (ok) {
      out.append(s.data() + i, len);
      i += len;
    } else {
      out += "\xef\xbf\xbd";
      i++;
    }
  }
}

std::string jsonString(std::string_view s) {
  std::string out;
  appendJsonString(&out, s);
  return out;
}

}  // namespace strait::accesslog
