// An HTTP/1.1 exchange no client waits on: the base of MirrorRequest (a shadow copy whose
// response is discarded) and BackgroundRequest (a filter's own request, e.g. the cache's
// background refresh).
//
// LIFE: launch() gives the exchange to the worker's ClusterManager and starts it: it picks an
// endpoint of the cluster, opens its own connection (never pooled; the cluster's connection
// limit applies), writes what encodeRequest() produced, parses the response into the derived
// class's H1Callbacks, and releases itself (deleted later) on the response's end, an error,
// the connection's close or its timeout. onFinished() is called exactly once, unless the
// worker shuts down first (the ClusterManager then destroys the exchange without it).
// THREADS: the worker's. OWNERSHIP: the ClusterManager after launch().
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "sidecar/event/dispatcher.h"
#include "sidecar/http/h1_codec.h"
#include "sidecar/net/connection.h"
#include "sidecar/upstream/cluster_info.h"
#include "sidecar/core/worker_context.h"

namespace strait::proxy {

class H1Pool;

class DetachedExchange : public net::ConnectionCallbacks,
                         public http::CodecCallbacks,
                         public event::DeferredDeletable {
 public:
  ~DetachedExchange() override;
  DetachedExchange(const DetachedExchange&) = delete;
  DetachedExchange& operator=(const DetachedExchange&) = delete;

  static void launch(std::unique_ptr<DetachedExchange> exchange);

  // net::ConnectionCallbacks.
  void onRead(net::Buffer& in) override;
  void onEvent(net::ConnectionEvent event) override;
  void onAboveWriteHighWatermark() override {}
  void onBelowWriteLowWatermark() override {}
  // http::CodecCallbacks: the end of the response, or a malformed one.
  void onMessageComplete(http::StreamId) override { finish(true); }
  void onError(http::StreamId, const http::ParseError&) override { finish(false); }

 protected:
  // `head_request`: the request's method is HEAD (the response has no body).
  DetachedExchange(WorkerContext& ctx, std::shared_ptr<const ClusterInfo> cluster, int64_t timeout_ms,
                   bool head_request);
  // The bytes to send to `endpoint` (head and body), once its connection is open.
  virtual void encodeRequest(const EndpointInfo& endpoint, std::string* out) = 0;
  // Once, when the exchange ends: `complete` is true after a whole response.
  virtual void onFinished(bool complete) = 0;

  WorkerContext& ctx_;

 private:
  bool start();  // false: no endpoint or connection to use
  void finish(bool complete);
  void closeUpstream();

  std::shared_ptr<const ClusterInfo> cluster_;
  int64_t timeout_ms_;
  bool head_request_;
  H1Pool* pool_ = nullptr;
  std::unique_ptr<net::Connection> upstream_;
  std::optional<http::H1Parser> parser_;
  event::Timer timer_;
  bool finished_ = false;
};

}  // namespace strait::proxy
