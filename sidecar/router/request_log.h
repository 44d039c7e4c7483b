// Access logging of requests, shared by the HTTP/1.1 and HTTP/2 connection managers and the
// router stream: what the stream info of a new request holds, and the lines of a request
// that ends (answered upstream or locally). Nothing is done for listeners without
// access_logs beyond one emptiness check.
// THREADS: the request's worker.
#pragma once

#include <string>
#include <string_view>

#include "sidecar/core/snapshot.h"
#include "sidecar/core/worker_context.h"
#include "sidecar/http/message.h"
#include "sidecar/http/stream_info.h"

namespace strait::proxy {

// The downstream side of a new request's info: client, peer, protocol, start time, and (for
// listeners with access logs or tracing) the request's method, authority and path.
void initStreamInfo(WorkerContext& ctx, const ListenerInfo& listener, const http::RequestHead& head,
                    std::string client_ip, const std::string& peer_ip, std::string_view protocol,
                    const std::string& peer_identity, http::StreamInfo* info);

// Writes `info` to the listener's access logs (those whose filter takes it).
void logRequest(WorkerContext& ctx, const ListenerInfo& listener, const http::StreamInfo& info);

// A request answered by the connection manager itself, before any router stream (no route,
// denied, overloaded, a malformed request, a request head timeout): one line with `status`,
// `flag` and `details`, and its SERVER span if the listener traces. `head` may be null
// (nothing parsed: no span).
void logLocalReply(WorkerContext& ctx, const ListenerInfo& listener, const http::RequestHead* head,
                   const std::string& peer_ip, std::string_view protocol, const std::string& peer_identity,
                   int status, http::ResponseFlag flag, std::string_view details);

// The flag of a routing refusal (RouteResult::local_status): 404 no_route, 403 denied, else
// bad_request.
http::ResponseFlag routingFailureFlag(int status);

}  // namespace strait::proxy
