#include "sidecar/http/cookies.h"

#include "sidecar/http/text.h"

namespace strait::http {
std::optional<std::string_view> findCookie(std::string_view cookie_header, std::string_view name) {
  while (!cookie_header.empty()) {
    size_t end = cookie_header.find(';');
    std::string_view pair = trimOws(cookie_header.substr(0, end));
    cookie_header = end == std::string_view::npos ? std::string_view() : cookie_header.substr(end + 1);
    size_t eq = pair.find('=');
    if (eq != std::string_view::npos && trimOws(pair.substr(0, eq)) == name) {
      return trimOws(pair.substr(eq + 1));
    }
  }
  return std::nullopt;
}

std::optional<std::string_view> findCookie(const HeaderMap& headers, std::string_view name) {
  for (const auto& field : headers.fields()) {
    if (field.name != "cookie") continue;
    if (auto value = findCookie(std::string_view(field.value), name)) return value;
  }
  return std::nullopt;
}

}  // namespace strait::http
