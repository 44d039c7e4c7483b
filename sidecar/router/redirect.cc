#include "sidecar/router/redirect.h"

#include "absl/strings/str_cat.h"

namespace strait::proxy {
namespace {

// absl::string_view is not std::string_view in this absl build.
absl::string_view av(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// Splits "host:port", "[v6]:port", "host" into host and port ("" if none).
void splitHostPort(std::string_view in, std::string_view* host, std::string_view* port) {
  size_t colon = in.rfind(':');
  size_t bracket = in.rfind(']');
  if (colon == std::string_view::npos || (bracket != std::string_view::npos && bracket > colon) ||
      (bracket == std::string_view::npos && in.find(':') != colon)) {
    *host = in;
    *port = {};
    return;
  }
  *host = in.substr(0, colon);
  *port = in.substr(colon + 1);
}

bool defaultPort(std::string_view scheme, std::string_view port) {
  return (scheme == "http" && port == "80") || (scheme == "https" && port == "443");
}

}  // namespace

std::string redirectLocation(const CompiledRoute& route, const RedirectRequest& req) {
  const RedirectSpec& spec = route.redirect;
  std::string_view scheme = spec.scheme.empty() ? req.scheme : std::string_view(spec.scheme);
  std::string_view host, port;
  splitHostPort(req.host, &host, &port);
  if (!spec.host.empty()) host = spec.host;
  std::string port_str;
  if (spec.port != 0) {
    port_str = std::to_string(spec.port);
  } else if (scheme == req.scheme) {
    port_str = std::string(port);
  }
  std::string path(req.path);
  std::string_view query = spec.strip_query ? std::string_view() : req.query;
  if (spec.has_path) {
    size_t q = spec.path.find('?');
    path = spec.path.substr(0, q);
    if (q != std::string::npos) query = std::string_view(spec.path).substr(q + 1);
  } else if (spec.has_prefix_rewrite && route.path_kind == CompiledRoute::PathKind::kPrefix &&
             req.path.size() >= route.path.size()) {
    path = absl::StrCat(spec.prefix_rewrite, av(req.path.substr(route.path.size())));
    if (path.empty() || path[0] != '/') path.insert(0, "/");
  }
  std::string out = absl::StrCat(av(scheme), "://", av(host));
  if (!port_str.empty() && !defaultPort(scheme, port_str)) absl::StrAppend(&out, ":", port_str);
  out += path;
  if (!query.empty()) absl::StrAppend(&out, "?", av(query));
  return out;
}

LocalRouteResponse localRouteResponse(const CompiledRoute& route, const http::RequestHead& head,
                                      std::string_view scheme) {
  LocalRouteResponse out;
  if (route.action == CompiledRoute::Action::kRedirect) {
    out.head.status = route.redirect.status;
    size_t q = head.target.find('?');
    const std::string* host = head.headers.get("host");
    RedirectRequest rr;
    rr.scheme = scheme.empty() ? std::string_view("http") : scheme;
    rr.host = host ? std::string_view(*host) : std::string_view();
    rr.path = std::string_view(head.target).substr(0, q);
    if (q != std::string::npos) rr.query = std::string_view(head.target).substr(q + 1);
    out.head.headers.add("location", redirectLocation(route, rr));
  } else {
    out.head.status = route.direct_status;
    out.body = route.direct_body;
    if (!out.body.empty()) out.head.headers.add("content-type", "text/plain");
  }
  out.head.reason = std::string(http::reasonPhrase(out.head.status));
  out.head.headers.add("content-length", std::to_string(out.body.size()));
  return out;
}

}  // namespace strait::proxy
