#include "sidecar/router/request_log.h"

#include "absl/time/clock.h"
#include "sidecar/accesslog/access_log.h"

namespace strait::proxy {
namespace {

void fillRequest(const ListenerInfo& listener, const http::RequestHead& head, http::StreamInfo* info) {
  info->listener = listener.name;
  if (listener.access_logs.empty() && !listener.tracing) return;
  info->method = head.method;
  info->path = head.target;
  if (const std::string* host = head.headers.get("host")) info->authority = *host;
  else if (const std::string* authority = head.headers.get(":authority")) info->authority = *authority;
}

}  // namespace

void initStreamInfo(WorkerContext& ctx, const ListenerInfo& listener, const http::RequestHead& head,
                    std::string client_ip, const std::string& peer_ip, std::string_view protocol,
                    const std::string& peer_identity, http::StreamInfo* info) {
  info->client_ip = std::move(client_ip);
  info->downstream_address = peer_ip;
  info->protocol = protocol;
  info->peer_identity = peer_identity;
  info->start_ms = ctx.dispatcher().nowMs();
  fillRequest(listener, head, info);
}

void logRequest(WorkerContext& ctx, const ListenerInfo& listener, const http::StreamInfo& info) {
  if (listener.access_logs.empty()) return;
  accesslog::LineClock clock{ctx.dispatcher().nowMs(), absl::GetCurrentTimeNanos() / 1000};
  for (const auto& log : listener.access_logs) log->log(info, clock, ctx.random());
}

void logLocalReply(WorkerContext& ctx, const ListenerInfo& listener, const http::RequestHead* head,
                   const std::string& peer_ip, std::string_view protocol, const std::string& peer_identity,
                   int status, http::ResponseFlag flag, std::string_view details) {
  if (listener.access_logs.empty() && !listener.tracing) return;
  http::StreamInfo info;
  info.client_ip = peer_ip;
  info.downstream_address = peer_ip;
  info.protocol = protocol;
  info.peer_identity = peer_identity;
  int64_t now = ctx.dispatcher().nowMs();
  info.start_ms = info.end_ms = now;
  if (head != nullptr) fillRequest(listener, *head, &info);
  info.listener = listener.name;
  if (head != nullptr) {
    if (const std::string* id = head->headers.get("x-request-id")) info.request_id = *id;
  }
  info.response_code = status;
  info.fail(flag, details);
  if (listener.tracing && head != nullptr) {
    // A request answered here still gets its SERVER span (the caller's trace goes on).
    int64_t now_ns = absl::GetCurrentTimeNanos();
    tracing::RequestTrace trace(listener.tracing, head->headers, [&ctx] { return ctx.random(); }, now_ns);
    info.trace_id = tracing::toHex(trace.traceId());
    trace.finish(info, now_ns);
  }
  logRequest(ctx, listener, info);
}

http::ResponseFlag routingFailureFlag(int status) {
  if (status == 404) return http::ResponseFlag::kNoRoute;
  if (status == 403) return http::ResponseFlag::kDenied;
  return http::ResponseFlag::kBadRequest;
}

}  // namespace strait::proxy
