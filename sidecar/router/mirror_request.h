// A copy of a request sent to a shadow cluster (RequestMirrorPolicy): fire and forget.
//
// LIFE: the RouterStream creates it with the upstream-ready request head (host already
// suffixed "-shadow"), hands it the body chunks, and on the request's end calls send(),
// which launches it as a DetachedExchange: it connects to an endpoint of the shadow cluster
// on a new HTTP/1.1 connection, sends the head and body (content-length framing), reads and
// discards the response, and releases itself on completion, error or its own timeout. Nothing it does reaches the primary
// exchange or the client. A body over the limit makes addBody() return false: the
// RouterStream drops the mirror before anything was sent (counted as mirror_dropped).
// THREADS: the worker's. OWNERSHIP: the RouterStream until send(), the ClusterManager after.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "sidecar/upstream/detached_exchange.h"

namespace strait::proxy {

class MirrorRequest final : public DetachedExchange {
 public:
  MirrorRequest(WorkerContext& ctx, std::shared_ptr<const ClusterInfo> cluster, http::RequestHead head,
                uint32_t max_body_bytes, int64_t timeout_ms);

  // Keeps a body chunk; false once the body is over the limit (drop the mirror).
  bool addBody(const char* data, size_t len);
  // The request is complete: start the shadow exchange, owned by the ClusterManager.
  static void send(std::unique_ptr<MirrorRequest> mirror) { launch(std::move(mirror)); }
  // "a.example:8080" -> "a.example-shadow:8080", "a" -> "a-shadow" (as Envoy names it).
  static std::string shadowHost(const std::string& host);

  // http::CodecCallbacks: the shadow's response is discarded.
  void onBody(http::StreamId, const char*, size_t) override {}

 private:
  void encodeRequest(const EndpointInfo& endpoint, std::string* out) override;
  void onFinished(bool) override {}

  http::RequestHead head_;
  std::string body_;
  uint32_t max_body_bytes_;
};

}  // namespace strait::proxy
