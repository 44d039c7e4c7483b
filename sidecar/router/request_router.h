// The per-request decisions shared by the HTTP/1.1 and HTTP/2 connection managers, made on
// the snapshot the request pinned: the route, the listener's authorization policy, and the
// peer-identity header. Pure function of its inputs; no I/O.
#pragma once

#include <string>
#include <string_view>

#include "sidecar/http/h1_codec.h"
#include "sidecar/router/router_stream.h"
#include "sidecar/core/snapshot.h"

namespace strait::proxy {

// The verified client SPIFFE ID, passed to the local service. Whatever a client sends under
// this name is removed first, so the service can trust it.
inline constexpr char kPeerIdentityHeader[] = "x-strait-peer-identity";

struct RouteResult {
  const CompiledRoute* route = nullptr;  // null: answer local_status
  int local_status = 0;                  // 404 no route, 403 denied by policy, 400 bad path
  std::string details;                   // for x-strait-local-reply and logs
};

// `peer_identity` is the connection's verified SPIFFE ID ("" for plaintext or no client
// certificate); `client_ip` the TCP peer's address (for source_cidrs matching). Edits `head`:
// strips any peer-identity header the client sent (the router stream sets the verified one
// on the upstream request, from StreamInfo), and replaces the target's path by its normalised form
// (see PathNormalization in route.proto), the form matched and forwarded.
// `destination_port`: the port the client connected to (RouteMatch.destination_port).
RouteResult routeRequest(const ListenerInfo& listener, http::RequestHead& head,
                         const std::string& peer_identity, const std::string& client_ip,
                         uint32_t destination_port = 0);

// The client's address: the TCP peer's, unless the listener trusts `trusted_hops` proxies in
// front of it, then the x-forwarded-for entry that many from the right (see
// HttpProtocolOptions.xff_num_trusted_hops); the peer's when there are fewer entries or the
// entry is not an IP address. Every x-forwarded-for field counts, in order.
std::string trustedClientAddress(const http::HeaderMap& headers, const std::string& peer_ip, uint32_t trusted_hops);

// What the upstream request carries about the client.
RequestInfo requestInfo(const ListenerInfo& listener, bool secure);

}  // namespace strait::proxy
