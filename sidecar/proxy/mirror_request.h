// A copy of a request sent to a shadow cluster (RequestMirrorPolicy): fire and forget.
//
// LIFE: the ProxyStream creates it with the upstream-ready request head (host already
// suffixed "-shadow"), hands it the body chunks, and on the request's end calls send(),
// which gives the mirror to the worker's ClusterManager: from then on it lives on its own,
// connects to an endpoint of the shadow cluster on a new HTTP/1.1 connection, sends the
// head and body (content-length framing), reads and discards the response, and releases
// itself on completion, error or its own timeout. Nothing it does reaches the primary
// exchange or the client. A body over the limit makes addBody() return false: the
// ProxyStream drops the mirror before anything was sent (counted as mirror_dropped).
// THREADS: the worker's. OWNERSHIP: the ProxyStream until send(), the ClusterManager after.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "sidecar/event/dispatcher.h"
#include "sidecar/http/h1_codec.h"
#include "sidecar/net/connection.h"
#include "sidecar/proxy/cluster_info.h"
#include "sidecar/proxy/worker_context.h"

namespace strait::proxy {

class MirrorRequest final : public net::ConnectionCallbacks,
                            public http::H1Callbacks,
                            public event::DeferredDeletable {
 public:
  MirrorRequest(WorkerContext& ctx, std::shared_ptr<const ClusterInfo> cluster, http::RequestHead head,
                uint32_t max_body_bytes, int64_t timeout_ms);
  ~MirrorRequest() override;

  // Keeps a body chunk; false once the body is over the limit (drop the mirror).
  bool addBody(const char* data, size_t len);
  // The request is complete: start the shadow exchange, owned by the ClusterManager.
  static void send(std::unique_ptr<MirrorRequest> mirror);
  // "a.example:8080" -> "a.example-shadow:8080", "a" -> "a-shadow" (as Envoy names it).
  static std::string shadowHost(const std::string& host);

  // net::ConnectionCallbacks.
  void onRead(net::Buffer& in) override;
  void onEvent(net::ConnectionEvent event) override;
  void onAboveWriteHighWatermark() override {}
  void onBelowWriteLowWatermark() override {}
  // http::H1Callbacks (the shadow's response, discarded).
  void onBody(const char*, size_t) override {}
  void onMessageComplete() override { finish(); }
  void onError(const http::ParseError&) override { finish(); }

 private:
  bool start();  // false: nothing to connect to
  void finish();
  void closeUpstream();

  WorkerContext& ctx_;
  std::shared_ptr<const ClusterInfo> cluster_;
  http::RequestHead head_;
  std::string body_;
  uint32_t max_body_bytes_;
  int64_t timeout_ms_;
  ConnPool* pool_ = nullptr;
  std::unique_ptr<net::Connection> upstream_;
  std::optional<http::H1Parser> parser_;
  event::Timer timer_;
  bool finished_ = false;
};

}  // namespace strait::proxy
