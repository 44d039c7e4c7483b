// What the requests of one cluster or one named route came to, shared by every worker and
// carried across generations with the cluster's state (host_state.h) or the route's name
// (route_stats.h): the time to the whole response and to the first upstream byte
// (histograms), responses by status class, and failures by response flag. Labels of these
// series are configuration names, never request data, so their number is bounded by the
// configuration.
// THREADS: record() and the reads from any thread (relaxed atomics).
#pragma once

#include <atomic>
#include <cstdint>

#include "sidecar/core/latency_histogram.h"
#include "sidecar/http/stream_info.h"

namespace strait::proxy {

struct RequestStats {
  core::LatencyHistogram duration;         // start to the response's end (or the stream's)
  core::LatencyHistogram upstream_time;    // start to the first upstream response byte
  std::atomic<uint64_t> by_class[6] = {};  // index: status / 100; 0: no response sent
  std::atomic<uint64_t> by_flag[static_cast<int>(http::ResponseFlag::kCount)] = {};

  // A request that ended at `now_ms` (when its info has no end time).
  void record(const http::StreamInfo& info, int64_t now_ms) {
    int64_t end = info.end_ms != 0 ? info.end_ms : now_ms;
    duration.record(info.start_ms != 0 ? end - info.start_ms : 0);
    if (info.first_upstream_byte_ms != 0 && info.start_ms != 0) {
      upstream_time.record(info.first_upstream_byte_ms - info.start_ms);
    }
    int cls = info.response_code / 100;
    by_class[cls >= 1 && cls <= 5 ? cls : 0].fetch_add(1, std::memory_order_relaxed);
    for (uint32_t flags = info.response_flags; flags != 0; flags &= flags - 1) {
      by_flag[__builtin_ctz(flags)].fetch_add(1, std::memory_order_relaxed);
    }
  }
};

}  // namespace strait::proxy
