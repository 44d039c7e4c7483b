// JSON string literals for log lines. Thread-safe (pure functions).
#pragma once

#include <string>
#include <string_view>

namespace strait::accesslog {

// `s` as a JSON string literal (quotes included), appended to `out`; bytes that are not valid
// UTF-8 become U+FFFD, so the line stays valid JSON whatever a client sent.
void appendJsonString(std::string* out, std::string_view s);
// The same without the quotes (the caller writes them).
void appendJsonStringBody(std::string* out, std::string_view s);
std::string jsonString(std::string_view s);

}  // namespace strait::accesslog
