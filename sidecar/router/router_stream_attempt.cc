// RouterStream, the attempt side: making one UpstreamAttempt per try, what its response and
// its failures do, whether and when another try is made (RetryState), and the
// circuit-breaker overflow replies. See router_stream.h for the class contract.
#include <string_view>
#include <utility>

#include "absl/time/clock.h"
#include "sidecar/router/router_stream.h"
#include "sidecar/upstream/cluster_manager.h"

namespace strait::proxy {

void RouterStream::startAttempt() {
  in_backoff_ = false;
  pauseDownstream(false);
  uint32_t number = retry_->onAttemptStart();
  info_.attempts = number;
  const EndpointInfo* picked = original_endpoint_.get();  // ORIGINAL_DST: the one there is
  if (picked == nullptr) {
    LoadBalancer& lb = ctx_.clusterManager().loadBalancer(cluster_);
    LbContext lb_ctx{ctx_.dispatcher().nowMs(), lb_hash_};
    int index = lb.pick(lb_ctx);
    // A retry prefers another endpoint than the one that just failed (a hash policy keeps
    // choosing the same one unless it is unavailable: then the retry goes there again).
    for (int i = 0; i < 2 && index >= 0 && &cluster_->endpoints[index] == retry_->excluded(); i++) {
      index = lb.pick(lb_ctx);
    }
    if (index < 0) return fail(http::ResponseFlag::kNoHealthyUpstream, 503, "no_healthy_upstream");
    picked = &cluster_->endpoints[index];
  }
  const EndpointInfo& endpoint = *picked;
  info_.upstream_host = endpoint.host;
  if (base_head_) prepareAttemptHead();
  if (route_.retry.retry_on != 0) request_head_.headers.set("x-strait-attempt-count", std::to_string(number));
  if (trace_) {
    trace_->startAttempt(ctx_.random(), number, endpoint.host, absl::GetCurrentTimeNanos(), &request_head_.headers);
  }
  WorkerStats::inc(ctx_.stats().upstream_rq_total);
  UpstreamAttempt::Options options;
  options.per_try_timeout_ms = route_.retry.per_try_timeout_ms;
  options.fresh = retry_->takeFresh();
  options.endpoint_owner = original_endpoint_;
  attempt_ = std::make_unique<UpstreamAttempt>(ctx_, *cluster_, endpoint, *this, options);
  bool has_body = !kept_body_.empty() || request_trailers_.size() > 0;
  bool end_stream = request_framing_ == http::BodyFraming::kNone || (request_complete_ && !has_body);
  switch (attempt_->start(request_head_, request_framing_, end_stream)) {
    case UpstreamPool::Result::kOk:
      break;
    case UpstreamPool::Result::kOverflowConnections:
      return overflow(ClusterState::kMaxConnections);
    case UpstreamPool::Result::kOverflowPending:
      return overflow(ClusterState::kMaxPendingRequests);
    case UpstreamPool::Result::kNoConnection:
      return onAttemptFailed({http::ResponseFlag::kUpstreamConnectFailure, 503, "upstream_socket_failure", false});
  }
  if (upstream_paused_) attempt_->readDisable(true);
  if (!end_stream) sendKeptRequest();
}

// What the downstream sent so far, on the new attempt: the kept body and, if the request is
// complete, its end.
void RouterStream::sendKeptRequest() {
  if (!kept_body_.empty()) attempt_->sendBody(kept_body_.data(), kept_body_.size());
  if (request_complete_ && attempt_) attempt_->end(request_trailers_.size() ? &request_trailers_ : nullptr);
}

void RouterStream::endAttempt() {
  UpstreamAttempt::abandon(std::move(attempt_));
  if (retry_) retry_->onAttemptEnd();
  trailers_ = http::HeaderMap();
}

void RouterStream::scheduleAttempt(int64_t delay_ms) {
  in_backoff_ = true;
  pauseDownstream(true);  // the body waits in the socket, not in memory
  backoff_timer_.enableMs(delay_ms);
}

bool RouterStream::retryAttempt(http::ResponseFlag flag, int status) {
  if (done_ || response_started_ || !retry_) return false;
  bool deadline_passed = response_deadline_ms_ > 0 && ctx_.dispatcher().nowMs() >= response_deadline_ms_;
  const EndpointInfo* failed = attempt_ ? &attempt_->endpoint() : nullptr;
  std::optional<int64_t> backoff = retry_->retry(flag, status, canReplay(), deadline_passed, ctx_.random());
  if (!backoff) return false;
  if (flag != http::ResponseFlag::kNone) info_.setFlag(flag);
  retry_->exclude(failed);
  UpstreamAttempt::abandon(std::move(attempt_));
  trailers_ = http::HeaderMap();
  scheduleAttempt(*backoff);
  return true;
}

void RouterStream::overflow(ClusterState::Limit limit) {
  static const std::string_view kDetails[] = {"overflow_max_connections", "overflow_max_pending_requests",
                                              "overflow_max_requests", "overflow_max_retries"};
  cluster_->state->overflows[limit].fetch_add(1, std::memory_order_relaxed);
  fail(http::ResponseFlag::kOverflow, 503, kDetails[limit]);
}

void RouterStream::onAttemptHead(http::ResponseHead&& head, http::BodyFraming framing, uint64_t length) {
  if (done_) return;
  if (head.status < 200 && head.status != 101) {
    // 100 Continue was ours to send (see startRouter); other 1xx go through.
    if (head.status != 100) sink_.sendInterim(head);
    return;
  }
  if (trace_) trace_->attemptStatus(head.status);
  if (route_.retry.retry_on != 0 && route_.retry.retriesStatus(head.status) &&
      retryAttempt(http::ResponseFlag::kNone, head.status)) {
    return;
  }
  info_.response_code = head.status;
  forwardResponseHead(std::move(head), framing, length);
}

void RouterStream::onAttemptData(const char* data, size_t len) {
  if (done_ || !response_started_) return;
  touch();
  emitBody(data, len);
}

void RouterStream::onAttemptTrailers(http::HeaderMap&& trailers) {
  if (response_started_) trailers_ = std::move(trailers);
}

void RouterStream::onAttemptEnd() {
  if (done_ || !response_started_) return;
  done_ = true;
  response_complete_ = true;
  cluster_active_.release();  // the upstream request is over, whatever the client still reads
  stream_timer_.disable();
  if (retry_) retry_->onAttemptEnd();
  pauseDownstream(false);
  // The finished attempt stays until the stream goes (deferred already): no second deferred
  // deletion per request. It calls nothing more (its exchange is over).
  emitComplete(trailers_.size() ? &trailers_ : nullptr);
}

void RouterStream::onAttemptFailed(const UpstreamAttempt::Failure& failure) {
  if (done_) return;
  if (trace_) trace_->attemptFailed(failure.flag);
  // Never processed by the upstream (GOAWAY, REFUSED_STREAM, a pooled connection it had
  // closed): sent again, once, on a new connection, without counting as a retry, if what
  // the client sent can be replayed.
  if (failure.not_processed && !response_started_ && retry_->takeFreeRetry(canReplay())) {
    endAttempt();
    scheduleAttempt(0);
    return;
  }
  if (failure.not_processed && attempt_) attempt_->reportReset();  // a reset after all
  if (retryAttempt(failure.flag, failure.status)) return;
  fail(failure.flag, failure.status, failure.details);
}

void RouterStream::onAttemptWriteWatermark(bool above) {
  if (above) return pauseDownstream(true);
  if (!in_backoff_) pauseDownstream(false);
}

}  // namespace strait::proxy
