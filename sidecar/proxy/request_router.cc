#include "sidecar/proxy/request_router.h"

namespace strait::proxy {

RouteResult routeRequest(const ListenerInfo& listener, http::RequestHead& head,
                         const std::string& peer_identity) {
  RouteResult result;
  head.headers.remove(kPeerIdentityHeader);
  const std::string* host = head.headers.get("host");
  std::string_view path = std::string_view(head.target).substr(0, head.target.find('?'));
  result.route = listener.routes->route(host ? *host : std::string_view(), path, head.headers);
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
  if (!peer_identity.empty()) head.headers.add(kPeerIdentityHeader, peer_identity);
  return result;
}

RequestInfo requestInfo(const ListenerInfo& listener, const std::string& client_ip, bool secure) {
  // A permissive listener also takes plaintext: its connections are not "https".
  std::string proto = listener.forwarded_proto;
  if (listener.tls && !secure && proto == "https") proto = "http";
  return RequestInfo{client_ip, std::move(proto)};
}

}  // namespace strait::proxy
