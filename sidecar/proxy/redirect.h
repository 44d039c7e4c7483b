// The Location of a redirect route (RedirectAction in route.proto). Pure function.
#pragma once

#include <string>
#include <string_view>

#include "sidecar/proxy/route_table.h"

namespace strait::proxy {

struct RedirectRequest {
  std::string_view scheme;  // "http" or "https", as the client reached us
  std::string_view host;    // Host / :authority, maybe with a port
  std::string_view path;    // normalised, no query
  std::string_view query;   // raw, without "?"; "" none
};

// The absolute URL to redirect to. A port equal to the scheme's default is left out.
std::string redirectLocation(const CompiledRoute& route, const RedirectRequest& request);

}  // namespace strait::proxy
