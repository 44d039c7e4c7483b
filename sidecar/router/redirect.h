// The answers of routes that never reach an upstream: redirects (RedirectAction in
// route.proto) and direct responses (DirectResponseAction). Pure functions.
#pragma once

#include <string>
#include <string_view>

#include "sidecar/http/h1_codec.h"
#include "sidecar/router/route_table.h"

namespace strait::proxy {

struct RedirectRequest {
  std::string_view scheme;  // "http" or "https", as the client reached us
  std::string_view host;    // Host / :authority, maybe with a port
  std::string_view path;    // normalised, no query
  std::string_view query;   // raw, without "?"; "" none
};

// The absolute URL to redirect to. A port equal to the scheme's default is left out.
std::string redirectLocation(const CompiledRoute& route, const RedirectRequest& request);

// The response of a redirect or direct-response route to `head` (its target normalised),
// with content-length; `scheme` is how the client reached us. Route headers not applied.
struct LocalRouteResponse {
  http::ResponseHead head;
  std::string body;
};
LocalRouteResponse localRouteResponse(const CompiledRoute& route, const http::RequestHead& head,
                                      std::string_view scheme);

}  // namespace strait::proxy
