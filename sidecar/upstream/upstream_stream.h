// One upstream request/response exchange, whatever the protocol: the seam between an
// UpstreamAttempt and the connection pools. Implemented by an HTTP/1.1 exchange on a pooled
// connection (h1_upstream_stream.h) and by a stream of a multiplexed HTTP/2 connection
// (h2_pool.h). A new upstream protocol (a WebSocket/CONNECT tunnel, a raw TCP stream) is one
// more implementation of UpstreamStream and UpstreamPool; nothing above this seam changes.
//
// LIFE: UpstreamPool::newStream() makes the stream with the request head (sent, or queued
// until the connection is up). The owner then sends the body and the end, receives the
// response through UpstreamStreamCallbacks, and destroys the stream when it is done with it.
// Destroying it before the response ended cancels the exchange (HTTP/1.1: the connection is
// closed; HTTP/2: RST_STREAM CANCEL). After onUpstreamEnd an HTTP/1.1 connection whose request
// was wholly sent and that both sides keep alive has already gone back to its pool.
// CALLBACKS: none after destruction. They may run inside sendBody()/end() (a write that fails
// at once closes the connection), so the owner must not destroy the stream in a callback
// synchronously: it defers (see UpstreamAttempt).
// THREADS: the worker's. OWNERSHIP: the stream belongs to its owner; the pool keeps the
// connection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "sidecar/http/message.h"

namespace strait::proxy {

// Why an exchange failed before its response ended.
struct UpstreamFailure {
  enum class Kind : uint8_t {
    kConnectFailure,  // no connection could be made (refused, TLS handshake failed)
    kReset,           // the connection closed or the stream was reset mid-exchange
    kProtocolError,   // the response could not be parsed
    kNotProcessed,    // the upstream certainly did not process the request: a GOAWAY or
                      // REFUSED_STREAM, or a pooled connection it had already closed; safe
                      // to send again on another connection (else it counts as a reset)
  };
  Kind kind;
  std::string_view details;  // e.g. "upstream_reset_before_response_complete" (static)
};

class UpstreamStreamCallbacks {
 public:
  virtual ~UpstreamStreamCallbacks() = default;
  // The connection is up (HTTP/1.1, TLS handshake included). Streams of an HTTP/2 pool and
  // reused connections are up from the start and do not call this.
  virtual void onUpstreamConnected() = 0;
  // A response head; interim (1xx) heads too, before the final one.
  virtual void onUpstreamHead(http::ResponseHead&& head, http::BodyFraming framing, uint64_t length) = 0;
  virtual void onUpstreamData(const char* data, size_t len) = 0;
  virtual void onUpstreamTrailers(http::HeaderMap&& trailers) = 0;
  virtual void onUpstreamEnd() = 0;
  virtual void onUpstreamFailure(const UpstreamFailure& failure) = 0;
  // Request bytes buffered for the upstream went above the high mark (stop sending) or back
  // below the low one.
  virtual void onUpstreamWriteWatermark(bool above) = 0;
};

class UpstreamStream {
 public:
  virtual ~UpstreamStream() = default;
  virtual void sendBody(const char* data, size_t len) = 0;
  // The request is complete; `trailers` go out when the framing can carry them (HTTP/2,
  // chunked HTTP/1.1).
  virtual void end(const http::HeaderMap* trailers) = 0;
  // Stop (true) or resume taking response bytes: the downstream cannot take more now.
  virtual void readDisable(bool disable) = 0;
  // The connection is still being made (a timeout now is a connect timeout).
  virtual bool connecting() const = 0;
  // Ends the exchange now: nothing more is sent, no callback follows. The object may be on
  // the stack (a callback of its own): the owner destroys it later.
  virtual void cancel() = 0;
};

// Makes streams to one endpoint. One per worker, endpoint and protocol.
class UpstreamPool {
 public:
  enum class Result : uint8_t {
    kOk,
    kOverflowConnections,  // the cluster's max_connections would be exceeded
    kOverflowPending,      // ... its max_pending_requests
    kNoConnection,         // no socket (or TLS transport) could be made
  };
  struct Request {
    const http::RequestHead* head = nullptr;
    http::BodyFraming framing = http::BodyFraming::kNone;  // the request body's
    bool end_stream = false;  // nothing follows the head (no body, no trailers)
    bool fresh = false;       // never an idle connection (a retry after a stale one)
    // The cluster's limits and idle timeout, from the generation the request pinned.
    uint32_t max_connections = 0;
    uint32_t max_pending_requests = 0;
    int64_t idle_timeout_ms = 0;
  };
  virtual ~UpstreamPool() = default;
  virtual Result newStream(const Request& request, UpstreamStreamCallbacks& callbacks,
                           std::unique_ptr<UpstreamStream>* out) = 0;
};

}  // namespace strait::proxy
