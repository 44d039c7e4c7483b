#include "sidecar/upstream/upstream_attempt.h"

#include <utility>

#include "sidecar/upstream/cluster_manager.h"
#include "sidecar/upstream/outlier_detector.h"

namespace strait::proxy {

UpstreamAttempt::UpstreamAttempt(WorkerContext& ctx, const ClusterInfo& cluster, const EndpointInfo& endpoint,
                                 Callbacks& callbacks, Options options)
    : ctx_(ctx), cluster_(cluster), endpoint_(endpoint), callbacks_(&callbacks), options_(std::move(options)),
      timer_(ctx.dispatcher(), [this] { onTimer(); }), endpoint_active_(endpoint.state->active_requests) {}

UpstreamAttempt::~UpstreamAttempt() {
  if (stream_) stream_->cancel();
}

UpstreamPool::Result UpstreamAttempt::start(const http::RequestHead& head, http::BodyFraming framing,
                                            bool end_stream) {
  UpstreamPool::Request request;
  request.head = &head;
  request.framing = framing;
  request.end_stream = end_stream;
  request.fresh = options_.fresh;
  request.max_connections = cluster_.max_connections;
  request.max_pending_requests = cluster_.max_pending_requests;
  request.idle_timeout_ms = cluster_.idle_timeout_ms;
  request_ended_ = end_stream;
  UpstreamPool& pool = ctx_.clusterManager().pool(cluster_, endpoint_);
  UpstreamPool::Result result = pool.newStream(request, *this, &stream_);
  if (result != UpstreamPool::Result::kOk) return result;
  if (stream_->connecting()) {
    cluster_pending_ = ScopedCount(cluster_.state->pending_requests);
    timer_.enableMs(cluster_.connect_timeout_ms);
  } else {
    armPerTryTimeout();
  }
  return result;
}

void UpstreamAttempt::sendBody(const char* data, size_t len) {
  if (stream_) stream_->sendBody(data, len);
}

void UpstreamAttempt::end(const http::HeaderMap* trailers) {
  request_ended_ = true;
  if (!stream_) return;
  stream_->end(trailers);
  if (!stream_->connecting()) armPerTryTimeout();
}

void UpstreamAttempt::readDisable(bool disable) {
  if (stream_) stream_->readDisable(disable);
}

void UpstreamAttempt::abandon(std::unique_ptr<UpstreamAttempt> attempt) {
  if (!attempt) return;
  attempt->callbacks_ = nullptr;
  attempt->finish();
  if (attempt->stream_) attempt->stream_->cancel();
  WorkerContext& ctx = attempt->ctx_;
  ctx.dispatcher().deferredDelete(std::move(attempt));
}

void UpstreamAttempt::reportTimeout() {
  reportUpstreamResult(ctx_, cluster_, endpoint_, UpstreamResult::timeout());
}

void UpstreamAttempt::reportReset() {
  reportUpstreamResult(ctx_, cluster_, endpoint_, UpstreamResult::reset());
  WorkerStats::inc(ctx_.stats().upstream_rq_reset);
}

// The per-try timeout runs from the later of the connection and the request's end, until the
// response head.
void UpstreamAttempt::armPerTryTimeout() {
  if (options_.per_try_timeout_ms > 0 && request_ended_ && !response_started_ && callbacks_) {
    timer_.enableMs(options_.per_try_timeout_ms);
  }
}

void UpstreamAttempt::onTimer() {
  if (!callbacks_) return;
  if (stream_ && stream_->connecting()) {
    WorkerStats::inc(ctx_.stats().upstream_cx_connect_fail);
    reportUpstreamResult(ctx_, cluster_, endpoint_, UpstreamResult::connectFailure());
    return failed({http::ResponseFlag::kUpstreamConnectTimeout, 503, "upstream_connect_timeout", false});
  }
  WorkerStats::inc(ctx_.stats().upstream_rq_timeout);
  reportUpstreamResult(ctx_, cluster_, endpoint_, UpstreamResult::timeout());
  failed({http::ResponseFlag::kUpstreamPerTryTimeout, 504, "upstream_per_try_timeout", false});
}

void UpstreamAttempt::onUpstreamConnected() {
  cluster_pending_.release();
  timer_.disable();
  armPerTryTimeout();
}

void UpstreamAttempt::onUpstreamHead(http::ResponseHead&& head, http::BodyFraming framing, uint64_t length) {
  if (!callbacks_) return;
  bool interim = head.status < 200 && head.status != 101;
  if (!interim) {
    response_started_ = true;
    timer_.disable();  // the per-try timeout ends with the response head
    reportUpstreamResult(ctx_, cluster_, endpoint_, UpstreamResult::response(head.status));
  }
  callbacks_->onAttemptHead(std::move(head), framing, length);
}

void UpstreamAttempt::onUpstreamData(const char* data, size_t len) {
  if (callbacks_) callbacks_->onAttemptData(data, len);
}

void UpstreamAttempt::onUpstreamTrailers(http::HeaderMap&& trailers) {
  if (callbacks_) callbacks_->onAttemptTrailers(std::move(trailers));
}

void UpstreamAttempt::onUpstreamEnd() {
  finish();
  if (callbacks_) callbacks_->onAttemptEnd();
}

void UpstreamAttempt::onUpstreamFailure(const UpstreamFailure& failure) {
  if (!callbacks_) return;
  using Kind = UpstreamFailure::Kind;
  switch (failure.kind) {
    case Kind::kConnectFailure:
      WorkerStats::inc(ctx_.stats().upstream_cx_connect_fail);
      reportUpstreamResult(ctx_, cluster_, endpoint_, UpstreamResult::connectFailure());
      // HTTP/1.1 answers 502 and HTTP/2 503, as before the two shared this path.
      return failed({http::ResponseFlag::kUpstreamConnectFailure, cluster_.http2 ? 503 : 502, failure.details,
                     false});
    case Kind::kNotProcessed:  // reported by the owner only if it does not send it again
      return failed({http::ResponseFlag::kUpstreamReset, 502, failure.details, true});
    case Kind::kProtocolError:
      reportUpstreamResult(ctx_, cluster_, endpoint_, UpstreamResult::reset());
      return failed({http::ResponseFlag::kUpstreamProtocolError, 502, failure.details, false});
    case Kind::kReset:
      reportReset();
      return failed({http::ResponseFlag::kUpstreamReset, 502, failure.details, false});
  }
}

void UpstreamAttempt::onUpstreamWriteWatermark(bool above) {
  if (callbacks_) callbacks_->onAttemptWriteWatermark(above);
}

void UpstreamAttempt::failed(const Failure& failure) {
  finish();
  Callbacks* cb = callbacks_;
  callbacks_ = nullptr;
  if (cb) cb->onAttemptFailed(failure);
}

void UpstreamAttempt::finish() {
  timer_.disable();
  cluster_pending_.release();
  endpoint_active_.release();
}

}  // namespace strait::proxy
