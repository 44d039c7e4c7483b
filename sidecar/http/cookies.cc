#include "sidecar/http/cookies.h"

namespace strait::http {
namespace {

// Optional whitespace around cookie names and values (RFC 6265 5.2).
std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<std::string_view> findCookie(std::string_view cookie_header, std::string_view name) {
  while (!cookie_header.empty()) {
    size_t end = cookie_header.find(';');
    std::string_view pair = trim(cookie_header.substr(0, end));
    cookie_header = end == std::string_view::npos ? std::string_view() : cookie_header.substr(end + 1);
    size_t eq = pair.find('=');
    if (eq != std::string_view::npos && trim(pair.substr(0, eq)) == name) {
      return trim(pair.substr(eq + 1));
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
