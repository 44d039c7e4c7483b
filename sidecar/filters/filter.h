// The HTTP filter chain: per-request objects that see a request before it is routed
// upstream and its response on the way back, the same for HTTP/1.1 and HTTP/2 (they work on
// RequestHead/ResponseHead and body bytes, never on a codec).
//
// LIFE: a FilterFactory is compiled once per generation from an HttpFilter config and owned
// by the snapshot (shared read-only by the workers). For each request routed to a route with
// filters, the stream (proxy::RouterStream) asks each factory for a StreamFilter, then:
//   request:  onRequestHead in chain order (vhost filters, then route filters); a filter
//             returns kContinue, or kStop after answering (FilterCallbacks::sendLocalReply /
//             encode*) or to hold the request until it calls continueRequest();
//             onRequestData for each body chunk (may answer, e.g. 413);
//   response: onResponseHead, then body, then onResponseComplete, in REVERSE chain order; a
//             filter that transformsBody() rewrites the bytes (compression), the others only
//             observe them (a cache storing the response).
// A response a filter makes itself passes only through the filters before it in the chain.
// THREADS: a StreamFilter lives and runs on its request's worker only. Factories are shared
// by all workers (const; internal state must be thread-safe). Callbacks are valid for the
// filter's whole life. ERRORS: filters never throw and never block.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "sidecar/event/dispatcher.h"
#include "sidecar/http/message.h"
#include "sidecar/http/stream_info.h"

namespace strait::filters {

enum class FilterStatus { kContinue, kStop };

// What a filter knows about its request besides the head, and where it records what it did
// (a rate-limit refusal, a denial): the stream's per-request info.
using StreamInfo = http::StreamInfo;

// The response to a background request (FilterCallbacks::sendBackgroundRequest), delivered
// on the worker that sent it, after the stream that sent it may be gone. Owned by the
// background request, destroyed (on the same worker) after onComplete or onFailure, or at
// worker shutdown without either. Must not throw or block.
class BackgroundResponseHandler {
 public:
  virtual ~BackgroundResponseHandler() = default;
  virtual void onHead(const http::ResponseHead& head) = 0;  // the final (non-1xx) head
  virtual void onData(const char* data, size_t len) = 0;
  virtual void onComplete() = 0;
  // No complete response: no endpoint, connect failure, reset, timeout, bad response.
  virtual void onFailure() = 0;
};

// The stream, as seen by its filters.
class FilterCallbacks {
 public:
  virtual ~FilterCallbacks() = default;
  virtual event::Dispatcher& dispatcher() = 0;
  virtual StreamInfo& streamInfo() = 0;
  // Resumes a request held by kStop: the next filter's onRequestHead runs, then the router.
  virtual void continueRequest() = 0;
  // A complete generated response (text/plain body, `details` in x-strait-local-reply);
  // `headers` are added to it (e.g. retry-after, location). Ends the request side.
  virtual void sendLocalReply(int status, std::string_view body, std::string_view details,
                              const http::HeaderMap* headers = nullptr) = 0;
  // A response made by the filter, possibly over time (a cache hit streamed while it is
  // filled): head, then data, then complete. The head's framing comes from its
  // content-length (absent: chunked, or until the end for HTTP/2).
  virtual void encodeHead(http::ResponseHead&& head, bool end_stream) = 0;
  virtual void encodeData(const char* data, size_t len, bool end_stream) = 0;
  virtual void encodeComplete(const http::HeaderMap* trailers) = 0;
  // Pause/resume reading the downstream (a held request whose body keeps coming).
  virtual void readDisableDownstream(bool disable) = 0;
  // The response cannot be completed (a cache fill failed midway, an encoder failed): the
  // downstream stream is reset (HTTP/2 RST_STREAM, HTTP/1.1 connection closed) so the client
  // sees an error, never a truncated body that looks complete. No callbacks follow.
  virtual void resetStream() = 0;
  // Only from onRequestHead, for a bodiless request: sends `head` (this filter's view of the
  // request, with its changes, e.g. conditionals) upstream as the router would send this
  // request (the route's cluster, path and host rewrites, header edits; not the
  // %UPSTREAM_HOST% header variable), on its own HTTP/1.1 connection, detached from this
  // stream: it lives on (bounded by the route's timeout) when the stream ends, and `handler`
  // gets its response (after hop-by-hop removal and the route's response header edits, but
  // no other filter: see responseFiltersAfter()). False (handler destroyed, no callback)
  // when it cannot be sent: not a forwarding route, an HTTP/2 cluster. The stream itself is
  // unaffected.
  virtual bool sendBackgroundRequest(const http::RequestHead& head,
                                     std::unique_ptr<BackgroundResponseHandler> handler) {
    (void)head;
    (void)handler;
    return false;
  }
  // True when filters after this one see (and may transform, e.g. compress) the responses
  // this stream sends: a background request's response skips them, so it is not what they
  // would have produced.
  virtual bool responseFiltersAfter() const { return false; }
};

class StreamFilter {
 public:
  virtual ~StreamFilter() = default;
  // Called once, before anything else.
  virtual void setCallbacks(FilterCallbacks& callbacks) { callbacks_ = &callbacks; }

  virtual FilterStatus onRequestHead(http::RequestHead& head, bool end_stream) {
    (void)head;
    (void)end_stream;
    return FilterStatus::kContinue;
  }
  virtual FilterStatus onRequestData(const char* data, size_t len) {
    (void)data;
    (void)len;
    return FilterStatus::kContinue;
  }
  // While this filter holds the request (kStop from onRequestHead), the request body is given
  // to it here as it arrives, then its end (a filter that inspects the body before deciding,
  // like the WAF). The stream keeps the bytes too and sends them on after continueRequest();
  // past 1 MiB held it stops reading the client. Other filters do not see these calls; every
  // filter sees the body in onRequestData once the request goes on.
  virtual void onHeldRequestData(const char* data, size_t len) {
    (void)data;
    (void)len;
  }
  virtual void onHeldRequestEnd() {}

  // `framing`/`length` may be changed (e.g. to chunked when the body is re-encoded).
  virtual void onResponseHead(http::ResponseHead& head, http::BodyFraming& framing, uint64_t& length) {
    (void)head;
    (void)framing;
    (void)length;
  }
  // Observing filters get the bytes as they pass.
  virtual void onResponseData(const char* data, size_t len) {
    (void)data;
    (void)len;
  }
  // Transforming filters (transformsBody() true after onResponseHead) get them instead here
  // and append what goes on to `out`; finishResponseData flushes at the end.
  virtual bool transformsBody() const { return false; }
  virtual void transformResponseData(const char* data, size_t len, std::string* out) {
    out->append(data, len);
  }
  virtual void finishResponseData(std::string* out) { (void)out; }
  virtual void onResponseComplete(const http::HeaderMap* trailers) { (void)trailers; }
  // The stream ended before the response completed (client gone, upstream failure).
  virtual void onStreamReset() {}
  // For a response the filter makes itself (encodeHead/encodeData): the downstream's write
  // buffer went above its high watermark (stop sending) or back below its low one (resume).
  virtual void onDownstreamWatermark(bool above) { (void)above; }

 protected:
  FilterCallbacks* callbacks_ = nullptr;
};

class FilterFactory {
 public:
  virtual ~FilterFactory() = default;
  // Kind of filter (the HttpFilter oneof case name), for replacing vhost filters by route ones.
  virtual std::string_view kind() const = 0;
  // A filter for one request; nullptr when it has nothing to do for any request.
  virtual std::unique_ptr<StreamFilter> create() const = 0;
};

}  // namespace strait::filters
