// Outlier detection (passive health checking): the data path reports how each request to an
// endpoint ended; an endpoint whose failures reach a threshold in a row is ejected for
// base_ejection_time × (its ejection count), capped by max_ejection_time, unless that would
// put more than max_ejection_percent of the cluster's endpoints out at once. It returns by
// itself when the time is up (HostState::available compares ejected_until_ms with now).
// See strait.v1.OutlierDetection for which outcome counts as which failure.
//
// THREADS: any worker, concurrently. All state lives in the endpoint's HostState (shared by
// every worker, carried across generations); the ejection itself is a compare-and-swap on
// ejected_until_ms, so exactly one worker decides it and sets its duration.
// COST: a cluster without outlier_detection returns at once; with it, a success reads three
// counters and writes only those that were non-zero (no shared-line writes while healthy).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace strait::proxy {

struct ClusterInfo;
struct EndpointInfo;
struct WorkerStats;
class WorkerContext;

// How one request to an endpoint ended, as far as outlier detection cares.
struct UpstreamResult {
  enum class Kind : uint8_t {
    kResponse,        // a final response head arrived with `status`
    kConnectFailure,  // connect refused or timed out, TLS handshake failed
    kReset,           // connection closed or stream reset before the response completed
    kTimeout,         // no (complete) response within the route's timeout
  };
  Kind kind = Kind::kResponse;
  int status = 0;  // kResponse only

  static UpstreamResult response(int status) { return {Kind::kResponse, status}; }
  static UpstreamResult connectFailure() { return {Kind::kConnectFailure, 0}; }
  static UpstreamResult reset() { return {Kind::kReset, 0}; }
  static UpstreamResult timeout() { return {Kind::kTimeout, 0}; }
  // A reset reason string (details of an UpstreamFailure).
  static UpstreamResult afterReset(std::string_view reason) {
    return reason == "upstream_connect_failure" ? connectFailure() : reset();
  }
};

enum class OutlierOutcome {
  kNone,      // nothing changed beyond the streak counters
  kEjected,   // this report ejected the endpoint
  kOverflow,  // a threshold was reached but max_ejection_percent forbade the ejection
};

// Records `result` for `endpoint` of `cluster` at `now_ms` (monotonic clock, as
// event::Dispatcher::nowMs and HostState::available). Never blocks, never throws.
OutlierOutcome reportUpstreamResult(const ClusterInfo& cluster, const EndpointInfo& endpoint,
                                    UpstreamResult result, int64_t now_ms);
// Same, counting ejections and overflows in the worker's stats.
void reportUpstreamResult(const ClusterInfo& cluster, const EndpointInfo& endpoint, UpstreamResult result,
                          int64_t now_ms, WorkerStats& stats);
// The data path's entry point (RouterStream): the worker's clock and stats.
void reportUpstreamResult(WorkerContext& ctx, const ClusterInfo& cluster, const EndpointInfo& endpoint,
                          UpstreamResult result);

// Endpoints of `cluster` ejected at `now_ms`.
size_t ejectedCount(const ClusterInfo& cluster, int64_t now_ms);

}  // namespace strait::proxy
