// What happened to one request, accumulated as it goes (Envoy calls it stream info): who
// asked, which route, cluster and endpoint served it, when each step happened, how many bytes
// went each way, how many attempts it took, and — when it failed — the typed failure. Local
// replies (x-strait-local-reply), stats, access logs and (later) traces all read this one
// object; nothing in it travels as a header.
// THREADS: the request's worker. OWNERSHIP: one per stream, owned by the stream (filters see
// it through FilterCallbacks::streamInfo()).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace strait::http {

// Why a request did not get an upstream's answer, or failed along the way. Each has one
// source and says whether another attempt may help.
enum class ResponseFlag : uint8_t {
  kNone = 0,
  kNoRoute,                 // no route matched (404)
  kDenied,                  // an authorization policy or access-control filter refused it (403)
  kBadRequest,              // the request was malformed (400-class)
  kListenerDraining,        // the listener left the configuration (503)
  kClusterNotFound,         // the route names a cluster the generation lacks (503)
  kNoHealthyUpstream,       // no endpoint could be picked (503)
  kOverflow,                // a circuit breaker refused it (503)
  kUpstreamConnectFailure,  // the connection to the endpoint failed
  kUpstreamConnectTimeout,  // ... was not made in time (503)
  kUpstreamReset,           // the upstream closed or reset before the response ended
  kUpstreamProtocolError,   // the upstream's response was malformed (502)
  kUpstreamRequestTimeout,  // the route's timeout (or grpc-timeout) passed (504)
  kUpstreamPerTryTimeout,   // an attempt's per-try timeout passed (504)
  kStreamIdleTimeout,       // nothing moved for the route's idle timeout (504)
  kMaxStreamDuration,       // the route's maximum stream duration passed (504)
  kRetryBodyTooLarge,       // a retry was needed but the body was too large to replay (502)
  kDownstreamDisconnect,    // the client went away before the response ended
  kRateLimited,             // a rate-limit filter refused it (429)
  kFilterReply,             // another filter answered it (a CORS preflight, a 413, ...)
  kOverloaded,              // the overload manager refused it (503)
  kRequestTimeout,          // the client's request head or body came too slowly (408)
  kCount,
};

enum class FailureSource : uint8_t { kNone, kDownstream, kLocal, kUpstream };

// The flag's name in logs and stats ("upstream_reset", ...).
std::string_view responseFlagName(ResponseFlag flag);
FailureSource responseFlagSource(ResponseFlag flag);
// Whether a retry policy may try again after this failure of an attempt.
bool responseFlagRetryable(ResponseFlag flag);

struct StreamInfo {
  // Downstream.
  std::string client_ip;      // the client's address: the TCP peer's, or the one trusted
                              // proxies put in x-forwarded-for (xff_num_trusted_hops)
  std::string downstream_address;  // the TCP peer's address, without the port
  std::string peer_identity;  // the verified client SPIFFE ID, "" if none
  bool secure = false;        // the downstream connection is TLS
  std::string_view protocol;  // "HTTP/1.0", "HTTP/1.1" or "HTTP/2" (static text)
  std::string request_id;     // x-request-id, as sent upstream
  std::string trace_id;       // the trace this request belongs to ("" without tracing)
  // The request as the client sent it; filled only when an access log will read them.
  std::string method;
  std::string authority;
  std::string path;
  std::string_view listener;  // the listener's name (a view into the pinned generation)
  // Routing.
  // Names from the generation the stream pinned (views into it: valid while the stream
  // lives, no copy per request).
  std::string_view route_name;     // the matched route's name ("" if unnamed or none)
  std::string_view cluster_name;   // the cluster chosen ("" before, or none)
  std::string_view upstream_host;  // the last attempt's endpoint "ip:port" ("" if none)
  uint32_t attempts = 0;      // upstream attempts made
  // Timings, in the worker's monotonic milliseconds (0: did not happen).
  int64_t start_ms = 0;
  int64_t first_upstream_byte_ms = 0;  // the final response head arrived
  int64_t end_ms = 0;                  // the response's last byte went downstream
  // Bytes of the body each way.
  uint64_t bytes_received = 0;  // from the client
  uint64_t bytes_sent = 0;      // to the client
  int response_code = 0;        // sent to the client (0: none)
  // Failures seen (a retried one too): bits of 1 << ResponseFlag.
  uint32_t response_flags = 0;
  // The last failure, and the reason given with it (x-strait-local-reply).
  ResponseFlag failure = ResponseFlag::kNone;
  std::string failure_details;

  void setFlag(ResponseFlag flag) { response_flags |= 1u << static_cast<unsigned>(flag); }
  bool hasFlag(ResponseFlag flag) const { return response_flags & (1u << static_cast<unsigned>(flag)); }
  // The request failed: a 5xx, no response sent, or any response flag (access logs'
  // only_errors, tracing's always_sample_errors and span status).
  bool failed() const { return response_code >= 500 || response_code == 0 || response_flags != 0; }
  // Records a failure: its flag and its details.
  void fail(ResponseFlag flag, std::string_view details) {
    setFlag(flag);
    failure = flag;
    failure_details.assign(details.data(), details.size());
  }
};

}  // namespace strait::http
