// ProxyStream, part two: the end of an attempt, and whether and when another one is made
// (retry policy, retry budget, backoff, the transparent retry of a stale pooled connection),
// plus the circuit-breaker overflow replies. See proxy_stream.h for the class contract.
#include <algorithm>
#include <string_view>

#include "sidecar/proxy/outlier_detector.h"
#include "sidecar/proxy/proxy_stream.h"

namespace strait::proxy {

void ProxyStream::releaseAttemptCounters() {
  if (counted_host_) ClusterState::dec(endpoint_->state->active_requests);
  if (counted_pending_) ClusterState::dec(cluster_->state->pending_requests);
  if (counted_retry_) ClusterState::dec(cluster_->state->active_retries);
  counted_host_ = counted_pending_ = counted_retry_ = false;
}

void ProxyStream::endAttempt() {
  attempt_timer_.disable();
  h2_stream_.cancel();
  h2_unconsumed_ = 0;
  finishUpstream(/*reusable=*/false);
  releaseAttemptCounters();
  trailers_ = http::HeaderMap();
}

void ProxyStream::scheduleAttempt(int64_t delay_ms) {
  in_backoff_ = true;
  pauseDownstream(true);  // the body waits in the socket, not in memory
  attempt_timer_.enableMs(delay_ms);
}

void ProxyStream::onAttemptTimer() {
  if (in_backoff_) return startAttempt();
  if (upstream_ && upstream_->connecting()) {
    WorkerStats::inc(ctx_.stats().upstream_cx_connect_fail);
    reportUpstreamResult(ctx_, *cluster_, *endpoint_, UpstreamResult::connectFailure());
    return attemptFailed(Failure::kConnectTimeout, 503, "upstream_connect_timeout");
  }
  WorkerStats::inc(ctx_.stats().upstream_rq_timeout);
  reportUpstreamResult(ctx_, *cluster_, *endpoint_, UpstreamResult::timeout());
  attemptFailed(Failure::kPerTryTimeout, 504, "upstream_per_try_timeout");
}

// The per-try timeout runs from the later of the attempt's start and the request's end,
// until the response head.
void ProxyStream::armPerTryTimeout() {
  if (route_.retry.per_try_timeout_ms > 0 && request_complete_ && !response_started_) {
    attempt_timer_.enableMs(route_.retry.per_try_timeout_ms);
  }
}

void ProxyStream::attemptFailed(Failure failure, int status, std::string_view details) {
  if (done_) return;
  if (retryAttempt(failure, status)) return;
  fail(status, details);
}

bool ProxyStream::retryAllowed(Failure failure, int status) {
  const RetryPolicy& p = route_.retry;
  if (p.retry_on == 0 || attempts_ - free_retries_ > p.num_retries) return false;
  bool match = false;
  switch (failure) {
    case Failure::kConnect:
    case Failure::kConnectTimeout:
      match = p.retry_on & (RetryPolicy::k5xx | RetryPolicy::kGatewayError | RetryPolicy::kReset |
                            RetryPolicy::kConnectFailure);
      break;
    case Failure::kReset:
      match = p.retry_on & (RetryPolicy::k5xx | RetryPolicy::kReset);
      break;
    case Failure::kPerTryTimeout:
      match = p.retry_on & (RetryPolicy::k5xx | RetryPolicy::kGatewayError | RetryPolicy::kReset);
      break;
    case Failure::kStatus:
      match = p.retriesStatus(status);
      break;
  }
  if (!match || !canReplay()) return false;
  return response_deadline_ms_ == 0 || ctx_.dispatcher().nowMs() < response_deadline_ms_;
}

bool ProxyStream::retryAttempt(Failure failure, int status) {
  if (done_ || response_started_ || !retryAllowed(failure, status)) return false;
  failed_endpoint_ = endpoint_;
  endAttempt();  // also leaves the retry budget if this attempt was itself a retry
  ClusterState& cs = *cluster_->state;
  uint32_t limit = cluster_->max_retries;
  if (cluster_->retry_budget_percent > 0) {
    uint64_t share = uint64_t{cs.active_requests.load(std::memory_order_relaxed)} *
                     cluster_->retry_budget_percent / 100;
    limit = static_cast<uint32_t>(std::max<uint64_t>(cluster_->min_retry_concurrency, share));
  }
  if (cs.active_retries.load(std::memory_order_relaxed) >= limit) {
    cs.retries_overflowed.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  ClusterState::inc(cs.active_retries);
  counted_retry_ = true;
  cs.retries.fetch_add(1, std::memory_order_relaxed);
  // Full jitter: uniform in [0, min(base × 2^(n-1), max)].
  int shift = static_cast<int>(std::min<uint32_t>(attempts_ - free_retries_ - 1, 20));
  int64_t cap = std::min(route_.retry.base_interval_ms << shift, route_.retry.max_interval_ms);
  scheduleAttempt(static_cast<int64_t>(ctx_.random() % static_cast<uint64_t>(cap + 1)));
  return true;
}

void ProxyStream::overflow(ClusterState::Limit limit) {
  static const std::string_view kDetails[] = {"overflow_max_connections", "overflow_max_pending_requests",
                                              "overflow_max_requests", "overflow_max_retries"};
  cluster_->state->overflows[limit].fetch_add(1, std::memory_order_relaxed);
  fail(503, kDetails[limit]);
}

// A pooled connection the upstream had already closed fails before any response byte; a
// request that can be replayed is sent again, once, on a new connection, without counting
// as a retry.
bool ProxyStream::retryStaleConnection() {
  if (!reused_ || free_retry_used_ || response_started_ || parser_->inMessage() || !canReplay()) return false;
  free_retry_used_ = true;
  free_retries_++;
  next_fresh_ = true;
  endAttempt();
  scheduleAttempt(0);
  return true;
}

}  // namespace strait::proxy
