// The one Cookie parser (RFC 6265 5.2 / 5.4): pairs separated by ';', optional whitespace
// around names and values, the first pair with the name wins, a pair without '=' is skipped.
// Used by route pinning by cookie and by hash load balancing. Pure functions; no allocation.
#pragma once

#include <optional>
#include <string_view>

#include "sidecar/http/headers.h"

namespace strait::http {

// The value of cookie `name` in one Cookie field value, or nullopt.
std::optional<std::string_view> findCookie(std::string_view cookie_header, std::string_view name);
// The same over every Cookie field of `headers` (HTTP/2 clients may split cookies over
// several fields, RFC 9113 8.2.3). The view points into `headers`.
std::optional<std::string_view> findCookie(const HeaderMap& headers, std::string_view name);

}  // namespace strait::http
