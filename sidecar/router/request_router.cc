#include "sidecar/router/request_router.h"

#include <string_view>
#include <vector>

#include "sidecar/http/text.h"

namespace strait::proxy {

RouteResult routeRequest(const ListenerInfo& listener, http::RequestHead& head,
                         const std::string& peer_identity, const std::string& client_ip,
                         uint32_t destination_port) {
  RouteResult result;
  head.headers.remove(kPeerIdentityHeader);
  const RouteTable& table = *listener.routes;
  size_t q = head.target.find('?');
  std::string normalized = head.target.substr(0, q);
  if (!normalizePath(&normalized, table.normalization())) {
    result.local_status = 400;
    result.details = "invalid_path_encoded_slash";
    return result;
  }
  if (normalized.size() != (q == std::string::npos ? head.target.size() : q) ||
      head.target.compare(0, normalized.size(), normalized) != 0) {
    head.target = q == std::string::npos ? normalized : normalized + head.target.substr(q);
  }
  std::string_view path = std::string_view(head.target).substr(0, normalized.size());
  std::optional<IpBytes> client;
  if (table.usesSourceCidrs()) client = IpBytes::parse(client_ip);
  RouteRequest request;
  const std::string* host = head.headers.get("host");
  request.host = host ? std::string_view(*host) : std::string_view();
  request.path = path;
  request.query = q == std::string::npos ? std::string_view() : std::string_view(head.target).substr(path.size() + 1);
  request.method = head.method;
  request.headers = &head.headers;
  request.client = client ? &*client : nullptr;
  request.destination_port = destination_port;
  result.route = table.route(request);
  if (result.route == nullptr) {
    result.local_status = 404;
    result.details = "route_not_found";
    return result;
  }
  if (listener.authz) {
    AuthzPolicy::Decision d = listener.authz->evaluate(peer_identity, path, head.method);
    if (!d.allowed) {
      result.route = nullptr;
      result.local_status = 403;
      result.details = "denied_by_policy:" + (d.rule ? *d.rule : std::string("default"));
      return result;
    }
  }
  return result;
}

std::string trustedClientAddress(const http::HeaderMap& headers, const std::string& peer_ip, uint32_t trusted_hops) {
  if (trusted_hops == 0) return peer_ip;
  // Entries right to left, across every x-forwarded-for field (the last field is the newest).
  std::vector<std::string_view> entries;
  for (const auto& f : headers.fields()) {
    if (f.name != "x-forwarded-for") continue;
    for (std::string_view e : http::splitOn(f.value, ',')) entries.push_back(http::trimOws(e));
  }
  if (entries.size() < trusted_hops) return peer_ip;
  std::string candidate(entries[entries.size() - trusted_hops]);
  return IpBytes::parse(candidate) ? candidate : peer_ip;
}

RequestInfo requestInfo(const ListenerInfo& listener, bool secure) {
  // A permissive listener also takes plaintext: its connections are not "https".
  std::string proto = listener.forwarded_proto;
  if (listener.tls && !secure && proto == "https") proto = "http";
  return RequestInfo{std::move(proto)};
}

}  // namespace strait::proxy
