// A bodiless request a filter sends upstream on its own (FilterCallbacks::
// sendBackgroundRequest, e.g. the cache's stale-while-revalidate refresh), whose response goes
// to a filters::BackgroundResponseHandler instead of a client.
//
// LIFE: the RouterStream builds the upstream-ready head (the router's rewrites and header
// edits) and calls send(), which gives the request to the worker's ClusterManager: from then
// on it lives on its own as a DetachedExchange: picks an endpoint of the cluster, sends the
// head on a new HTTP/1.1 connection (never pooled), streams the response to the handler, and
// releases itself (deleted later) on completion, error or its timeout. The handler gets
// exactly one of onComplete / onFailure (none if the worker shuts down first).
// THREADS: the worker's. OWNERSHIP: the ClusterManager after send(); owns the handler.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "sidecar/filters/filter.h"
#include "sidecar/upstream/detached_exchange.h"
#include "sidecar/router/route_table.h"
#include "sidecar/core/snapshot.h"

namespace strait::proxy {

class BackgroundRequest final : public DetachedExchange {
 public:
  static constexpr int64_t kDefaultTimeoutMs = 15000;
  struct Params {
    std::shared_ptr<const ClusterInfo> cluster;  // an HTTP/1.1 cluster
    http::RequestHead head;                      // upstream-ready, bodiless
    int64_t timeout_ms = 15000;                  // whole exchange, from send()
    bool auto_host_rewrite = false;              // host: the chosen endpoint's address
    // The response head gets what the router gives a response (hop-by-hop fields removed,
    // the route's response header edits) before the handler sees it.
    SnapshotPtr snapshot;                        // pins `route`
    const CompiledRoute* route = nullptr;
    std::string client_ip;                       // header variables
    std::string request_id;
    std::string peer_identity;
  };
  BackgroundRequest(WorkerContext& ctx, Params params, std::unique_ptr<filters::BackgroundResponseHandler> handler);

  static void send(std::unique_ptr<BackgroundRequest> request) { launch(std::move(request)); }

  // http::CodecCallbacks (the response, to the handler).
  void onResponseHead(http::StreamId id, http::ResponseHead&& head, http::BodyFraming framing,
                      uint64_t length) override;
  void onBody(http::StreamId, const char* data, size_t len) override;

 private:
  void encodeRequest(const EndpointInfo& endpoint, std::string* out) override;
  void onFinished(bool complete) override;

  Params params_;
  std::unique_ptr<filters::BackgroundResponseHandler> handler_;
  std::string upstream_host_;  // the chosen endpoint, for %UPSTREAM_HOST%
  bool head_seen_ = false;  // the final head went to the handler
};

}  // namespace strait::proxy
