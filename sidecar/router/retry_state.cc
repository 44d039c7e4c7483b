#include "sidecar/router/retry_state.h"

#include <algorithm>

namespace strait::proxy {

bool RetryState::matches(http::ResponseFlag flag, int status) const {
  using F = http::ResponseFlag;
  const uint32_t on = policy_.retry_on;
  switch (flag) {
    case F::kNone:
      return policy_.retriesStatus(status);
    case F::kUpstreamConnectFailure:
    case F::kUpstreamConnectTimeout:
      return on & (RetryPolicy::k5xx | RetryPolicy::kGatewayError | RetryPolicy::kReset |
                   RetryPolicy::kConnectFailure);
    case F::kUpstreamReset:
    case F::kUpstreamProtocolError:
      return on & (RetryPolicy::k5xx | RetryPolicy::kReset);
    case F::kUpstreamPerTryTimeout:
      return on & (RetryPolicy::k5xx | RetryPolicy::kGatewayError | RetryPolicy::kReset);
    default:
      return false;
  }
}

std::optional<int64_t> RetryState::retry(http::ResponseFlag flag, int status, bool can_replay,
                                         bool deadline_passed, uint64_t random) {
  retry_slot_.release();  // the failed attempt, if it was a retry, leaves the budget
  if (policy_.retry_on == 0 || attempts_ - free_retries_ > policy_.num_retries) return std::nullopt;
  if (!matches(flag, status) || !can_replay || deadline_passed) return std::nullopt;
  ClusterState& cs = *cluster_.state;
  uint32_t limit = cluster_.max_retries;
  if (cluster_.retry_budget_percent > 0) {
    uint64_t share = uint64_t{cs.active_requests.load(std::memory_order_relaxed)} *
                     cluster_.retry_budget_percent / 100;
    limit = static_cast<uint32_t>(std::max<uint64_t>(cluster_.min_retry_concurrency, share));
  }
  if (cs.active_retries.load(std::memory_order_relaxed) >= limit) {
    cs.retries_overflowed.fetch_add(1, std::memory_order_relaxed);
    return std::nullopt;
  }
  retry_slot_ = ScopedCount(cs.active_retries);
  cs.retries.fetch_add(1, std::memory_order_relaxed);
  // Full jitter: uniform in [0, min(base × 2^(n-1), max)].
  int shift = static_cast<int>(std::min<uint32_t>(attempts_ - free_retries_ - 1, 20));
  int64_t cap = std::min(policy_.base_interval_ms << shift, policy_.max_interval_ms);
  return static_cast<int64_t>(random % static_cast<uint64_t>(cap + 1));
}

bool RetryState::takeFreeRetry(bool can_replay) {
  if (free_retry_used_ || !can_replay) return false;
  retry_slot_.release();
  free_retry_used_ = true;
  free_retries_++;
  next_fresh_ = true;
  return true;
}

}  // namespace strait::proxy
