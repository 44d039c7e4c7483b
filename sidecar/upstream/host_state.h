// Health and load of one upstream endpoint of one cluster, shared by every worker and carried
// across generations while the cluster keeps the endpoint (same cluster name, same endpoint
// key): the snapshot builder hands the previous generation's HostState to the new
// EndpointInfo, so health, ejections and in-flight counts survive an update.
//
// THREADS: any. Written by the health checker, the outlier detector and the data path; read
// by load balancers on the data path. Relaxed atomics are enough: a stale read for a moment
// only sends one more request to a host that has just changed state.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "sidecar/core/request_stats.h"

namespace strait::proxy {

struct HostState {
  // Active health checking says the endpoint is unhealthy.
  std::atomic<bool> health_check_failed{false};
  // Outlier detection: ejected until this steady-clock time (ms), 0 = not ejected.
  std::atomic<int64_t> ejected_until_ms{0};
  // Times the endpoint has been ejected (the ejection time is base × this); counting starts
  // again at 1 when an ejection comes max_ejection_time after the previous one ended.
  std::atomic<uint32_t> ejections{0};
  // Passive failure streaks (reset by a success of the same kind).
  std::atomic<uint32_t> consecutive_5xx{0};
  std::atomic<uint32_t> consecutive_gateway_errors{0};
  std::atomic<uint32_t> consecutive_connect_failures{0};
  // Requests in flight to the endpoint from all workers (least-request balancing, admin).
  std::atomic<uint32_t> active_requests{0};

  // Whether the endpoint may take new requests at `now_ms` (steady clock, milliseconds).
  bool available(int64_t now_ms) const {
    return !health_check_failed.load(std::memory_order_relaxed) &&
           ejected_until_ms.load(std::memory_order_relaxed) <= now_ms;
  }
};

using HostStatePtr = std::shared_ptr<HostState>;

// Circuit-breaker counters of one cluster, shared by every worker and carried across
// generations while a cluster of the same name exists (same rules as HostState).
struct ClusterState {
  enum Limit { kMaxConnections, kMaxPendingRequests, kMaxRequests, kMaxRetries, kLimitCount };
  static const char* limitName(Limit limit) {
    static const char* const kNames[] = {"max_connections", "max_pending_requests", "max_requests",
                                         "max_retries"};
    return kNames[limit];
  }

  std::atomic<uint32_t> connections{0};       // open upstream connections (all workers)
  std::atomic<uint32_t> pending_requests{0};  // waiting for a connection to be established
  std::atomic<uint32_t> active_requests{0};   // in flight
  std::atomic<uint32_t> active_retries{0};    // retry attempts in flight
  std::atomic<uint64_t> overflows[kLimitCount] = {};  // requests refused per limit
  std::atomic<uint64_t> retries{0};           // retry attempts made
  std::atomic<uint64_t> retries_overflowed{0};  // retries not made: budget or max_retries
  // Requests routed to the cluster, when they end (RequestStats::record).
  RequestStats requests;

  static void inc(std::atomic<uint32_t>& c) { c.fetch_add(1, std::memory_order_relaxed); }
  static void dec(std::atomic<uint32_t>& c) { c.fetch_sub(1, std::memory_order_relaxed); }
};

using ClusterStatePtr = std::shared_ptr<ClusterState>;

}  // namespace strait::proxy
