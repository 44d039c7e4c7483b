#include "sidecar/upstream/outlier_detector.h"

#include <algorithm>
#include <atomic>
#include <cstdint>

#include "sidecar/upstream/cluster_info.h"
#include "sidecar/core/worker_stats.h"
#include "sidecar/core/worker_context.h"

namespace strait::proxy {
namespace {

using Streak = std::atomic<uint32_t>;

void clearStreak(Streak& streak) {
  // Read first: a healthy endpoint's counters stay 0 and its cache line stays shared.
  if (streak.load(std::memory_order_relaxed) != 0) streak.store(0, std::memory_order_relaxed);
}

// Counts a failure (or ends the streak); true when the streak reached `threshold`.
bool bump(Streak& streak, bool failed, uint32_t threshold) {
  if (!failed) {
    clearStreak(streak);
    return false;
  }
  if (threshold == 0) return false;  // detector off
  return streak.fetch_add(1, std::memory_order_relaxed) + 1 >= threshold;
}

void clearStreaks(HostState& s) {
  clearStreak(s.consecutive_5xx);
  clearStreak(s.consecutive_gateway_errors);
  clearStreak(s.consecutive_connect_failures);
}

bool overLimit(const ClusterInfo& cluster, size_t ejected) {
  return ejected * 100 > static_cast<size_t>(cluster.outlier.max_ejection_percent) * cluster.endpoints.size();
}

int64_t ejectionMs(const OutlierConfig& cfg, uint32_t count) {
  // count × base, capped; computed without overflow for any count.
  int64_t cap_count = cfg.max_ejection_ms / cfg.base_ejection_ms + 1;
  return std::min(cfg.max_ejection_ms, cfg.base_ejection_ms * std::min<int64_t>(count, cap_count));
}

// Ejects once: the compare-and-swap on ejected_until_ms decides which reporter wins. The
// percentage is checked before and re-checked after the swap, undoing it if two endpoints
// were ejected at the same instant beyond the limit (sequentially consistent operations:
// the later of two racing swaps always sees the earlier one).
OutlierOutcome eject(const ClusterInfo& cluster, HostState& s, int64_t now_ms) {
  clearStreaks(s);
  int64_t old = s.ejected_until_ms.load();
  if (old > now_ms) return OutlierOutcome::kNone;  // already out (late failures of in-flight requests)
  if (overLimit(cluster, ejectedCount(cluster, now_ms) + 1)) return OutlierOutcome::kOverflow;
  const OutlierConfig& cfg = cluster.outlier;
  uint32_t count = s.ejections.load(std::memory_order_relaxed);
  // The multiplier starts again after a quiet period as long as the longest ejection.
  if (old != 0 && now_ms - old >= cfg.max_ejection_ms) count = 0;
  count = count == UINT32_MAX ? count : count + 1;
  int64_t until = now_ms + ejectionMs(cfg, count);
  if (!s.ejected_until_ms.compare_exchange_strong(old, until)) return OutlierOutcome::kNone;
  if (overLimit(cluster, ejectedCount(cluster, now_ms))) {
    s.ejected_until_ms.compare_exchange_strong(until, old);
    return OutlierOutcome::kOverflow;
  }
  s.ejections.store(count, std::memory_order_relaxed);
  return OutlierOutcome::kEjected;
}

}  // namespace

size_t ejectedCount(const ClusterInfo& cluster, int64_t now_ms) {
  size_t n = 0;
  for (const auto& ep : cluster.endpoints) {
    if (ep.state && ep.state->ejected_until_ms.load() > now_ms) n++;
  }
  return n;
}

OutlierOutcome reportUpstreamResult(const ClusterInfo& cluster, const EndpointInfo& endpoint,
                                    UpstreamResult result, int64_t now_ms) {
  if (!cluster.outlier.enabled || !endpoint.state) return OutlierOutcome::kNone;
  HostState& s = *endpoint.state;
  const OutlierConfig& cfg = cluster.outlier;
  using Kind = UpstreamResult::Kind;
  bool is_5xx = result.kind != Kind::kResponse || result.status >= 500;
  bool is_gateway = result.kind != Kind::kResponse || (result.status >= 502 && result.status <= 504);
  bool trip = bump(s.consecutive_5xx, is_5xx, cfg.consecutive_5xx);
  trip = bump(s.consecutive_gateway_errors, is_gateway, cfg.consecutive_gateway) || trip;
  // Resets and timeouts say nothing about connecting: they leave the connect streak alone.
  if (result.kind == Kind::kConnectFailure) {
    trip = bump(s.consecutive_connect_failures, true, cfg.consecutive_connect) || trip;
  } else if (result.kind == Kind::kResponse) {
    clearStreak(s.consecutive_connect_failures);
  }
  return trip ? eject(cluster, s, now_ms) : OutlierOutcome::kNone;
}

void reportUpstreamResult(const ClusterInfo& cluster, const EndpointInfo& endpoint, UpstreamResult result,
                          int64_t now_ms, WorkerStats& stats) {
  OutlierOutcome outcome = reportUpstreamResult(cluster, endpoint, result, now_ms);
  if (outcome == OutlierOutcome::kEjected) WorkerStats::inc(stats.outlier_ejections);
  if (outcome == OutlierOutcome::kOverflow) WorkerStats::inc(stats.outlier_ejections_overflow);
}

void reportUpstreamResult(WorkerContext& ctx, const ClusterInfo& cluster, const EndpointInfo& endpoint,
                          UpstreamResult result) {
  reportUpstreamResult(cluster, endpoint, result, ctx.dispatcher().nowMs(), ctx.stats());
}

}  // namespace strait::proxy
