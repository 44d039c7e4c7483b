// One try of a request at one endpoint, whatever the protocol: the router's stream makes one
// per attempt. It opens an UpstreamStream through the endpoint's pool (HTTP/1.1 or HTTP/2,
// chosen by the cluster), holds the attempt's accounting (the endpoint's and the cluster's
// in-flight counters, as scoped holders), runs the connect timeout and the per-try timeout,
// reports each outcome to outlier detection and the worker's stats, and hands the response
// and a typed failure to its owner.
//
// LIFE: start() opens the stream and sends the head; sendBody()/end() forward the request;
// the response comes through Callbacks. The owner ends an attempt with abandon(), also from
// inside one of its callbacks: no callback follows, the object is deleted later.
// TIMERS: while the connection is being made the connect timeout runs; from the later of the
// connection and the request's end until the response head, the per-try timeout.
// THREADS: the worker's. OWNERSHIP: the owner holds it until abandon().
#pragma once

#include <cstdint>
#include <memory>

#include "sidecar/core/worker_context.h"
#include "sidecar/event/dispatcher.h"
#include "sidecar/http/stream_info.h"
#include "sidecar/upstream/cluster_info.h"
#include "sidecar/upstream/scoped_count.h"
#include "sidecar/upstream/upstream_stream.h"

namespace strait::proxy {

class UpstreamAttempt final : public UpstreamStreamCallbacks, public event::DeferredDeletable {
 public:
  // The attempt's outcome, for the router's retry decision and local reply.
  struct Failure {
    http::ResponseFlag flag = http::ResponseFlag::kNone;
    int status = 502;             // the local reply's status if this is the last attempt
    std::string_view details;     // x-strait-local-reply
    bool not_processed = false;   // the upstream certainly did not see the request
  };

  class Callbacks {
   public:
    virtual ~Callbacks() = default;
    // A response head (interim 1xx ones too, before the final one).
    virtual void onAttemptHead(http::ResponseHead&& head, http::BodyFraming framing, uint64_t length) = 0;
    virtual void onAttemptData(const char* data, size_t len) = 0;
    virtual void onAttemptTrailers(http::HeaderMap&& trailers) = 0;
    virtual void onAttemptEnd() = 0;
    virtual void onAttemptFailed(const Failure& failure) = 0;
    // Request bytes buffered for the upstream went above the high mark / below the low one.
    virtual void onAttemptWriteWatermark(bool above) = 0;
  };

  struct Options {
    int64_t per_try_timeout_ms = 0;  // 0: none
    bool fresh = false;              // a new connection, not an idle one
    // Keeps an endpoint made for one request (ORIGINAL_DST clusters) alive as long as the
    // attempt; null for the cluster's own endpoints (the snapshot holds those).
    std::shared_ptr<const EndpointInfo> endpoint_owner;
  };

  UpstreamAttempt(WorkerContext& ctx, const ClusterInfo& cluster, const EndpointInfo& endpoint,
                  Callbacks& callbacks, Options options);
  ~UpstreamAttempt() override;

  // Opens the stream and sends `head`. Anything but kOk: no stream, no callback follows.
  // `end_stream`: the request is complete with the head (no body, no trailers).
  UpstreamPool::Result start(const http::RequestHead& head, http::BodyFraming framing, bool end_stream);
  void sendBody(const char* data, size_t len);
  // The request is complete; its per-try timeout starts (once connected).
  void end(const http::HeaderMap* trailers);
  void readDisable(bool disable);
  const EndpointInfo& endpoint() const { return endpoint_; }
  // Outcomes the owner decides on: the request's own timeout caught this attempt waiting
  // for its response; a not-processed failure (Failure::not_processed) that is not sent
  // again counts as a reset after all. Both go to outlier detection.
  void reportTimeout();
  void reportReset();

  // Ends the attempt (from anywhere, its own callbacks included): nothing more is sent or
  // reported; deleted later.
  static void abandon(std::unique_ptr<UpstreamAttempt> attempt);

  // UpstreamStreamCallbacks
  void onUpstreamConnected() override;
  void onUpstreamHead(http::ResponseHead&& head, http::BodyFraming framing, uint64_t length) override;
  void onUpstreamData(const char* data, size_t len) override;
  void onUpstreamTrailers(http::HeaderMap&& trailers) override;
  void onUpstreamEnd() override;
  void onUpstreamFailure(const UpstreamFailure& failure) override;
  void onUpstreamWriteWatermark(bool above) override;

 private:
  void armPerTryTimeout();
  void onTimer();
  void failed(const Failure& failure);
  void finish();  // the exchange ended: timers off, counters released

  WorkerContext& ctx_;
  const ClusterInfo& cluster_;      // pinned by the owner's snapshot
  const EndpointInfo& endpoint_;
  Callbacks* callbacks_;            // null once abandoned or finished
  Options options_;
  std::unique_ptr<UpstreamStream> stream_;
  event::Timer timer_;              // connect timeout, then per-try timeout
  ScopedCount endpoint_active_;     // the endpoint's active_requests, for the attempt's life
  ScopedCount cluster_pending_;     // the cluster's pending_requests, while connecting
  bool request_ended_ = false;
  bool response_started_ = false;   // a final head arrived
};

}  // namespace strait::proxy
