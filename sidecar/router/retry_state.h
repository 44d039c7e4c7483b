// The retry side of one request: how many attempts were made, whether a failed attempt may be
// tried again (the route's RetryPolicy, the request's deadline, whether its body can be
// replayed, the cluster's retry budget or max_retries), how long to back off, which endpoint
// to avoid next, and the one transparent retry of a request the upstream certainly did not
// process (a GOAWAY, REFUSED_STREAM, or a pooled connection it had closed).
// A retry attempt holds one unit of the cluster's active_retries for as long as it runs.
// THREADS: the request's worker. OWNERSHIP: a member of its RouterStream.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>

#include "sidecar/http/stream_info.h"
#include "sidecar/router/route_table.h"
#include "sidecar/upstream/cluster_info.h"
#include "sidecar/upstream/scoped_count.h"

namespace strait::proxy {

class RetryState {
 public:
  RetryState(const RetryPolicy& policy, const ClusterInfo& cluster) : policy_(policy), cluster_(cluster) {}

  // A new attempt starts; returns its number (1 for the first).
  uint32_t onAttemptStart() { return ++attempts_; }
  uint32_t attempts() const { return attempts_; }
  // The attempt in flight ended: it no longer counts against the retry limits.
  void onAttemptEnd() { retry_slot_.release(); }

  // Whether a failed attempt (by `flag`, or by a response `status` with kNone) may be
  // retried, given whether the body can be replayed and the time left. On yes: the retry is
  // accounted (budget) and the backoff to wait is returned (full jitter from `random`).
  std::optional<int64_t> retry(http::ResponseFlag flag, int status, bool can_replay, bool deadline_passed,
                               uint64_t random);
  // The transparent retry of a not-processed request: once per request, and not counted
  // as a retry. The next attempt must use a new connection.
  bool takeFreeRetry(bool can_replay);
  bool takeFresh() { return std::exchange(next_fresh_, false); }

  // The endpoint the last failed attempt went to: the next one avoids it if it can.
  void exclude(const EndpointInfo* endpoint) { excluded_ = endpoint; }
  const EndpointInfo* excluded() const { return excluded_; }

 private:
  bool matches(http::ResponseFlag flag, int status) const;

  const RetryPolicy& policy_;     // owned by the pinned snapshot
  const ClusterInfo& cluster_;    // likewise
  uint32_t attempts_ = 0;
  uint32_t free_retries_ = 0;     // attempts that were transparent retries
  bool free_retry_used_ = false;
  bool next_fresh_ = false;
  const EndpointInfo* excluded_ = nullptr;
  ScopedCount retry_slot_;        // the cluster's active_retries, while a retry runs
};

}  // namespace strait::proxy
