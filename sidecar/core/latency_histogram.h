// A Prometheus histogram of durations measured in milliseconds (the workers' clock), shared
// by every worker: record() is three relaxed atomic adds, no lock. Buckets (upper bounds):
// 1, 2, 5, 10, 25, 50, 100, 250, 500 ms, 1, 2.5, 5, 10, 30, 60 s, and +Inf; rendered in
// seconds as Prometheus expects (le="0.001" ...), cumulative.
// THREADS: record() and appendPrometheus() from any thread (a scrape may see a count one
// ahead of its buckets, as with any lock-free histogram).
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include "absl/strings/string_view.h"

namespace strait::core {

class LatencyHistogram {
 public:
  static constexpr int kBuckets = 15;  // finite bounds; one more for +Inf
  static constexpr int64_t kBoundsMs[kBuckets] = {1,   2,    5,    10,   25,    50,    100,  250,
                                                  500, 1000, 2500, 5000, 10000, 30000, 60000};

  void record(int64_t ms) {
    if (ms < 0) ms = 0;
    int i = 0;
    while (i < kBuckets && ms > kBoundsMs[i]) i++;
    counts_[i].fetch_add(1, std::memory_order_relaxed);
    sum_ms_.fetch_add(static_cast<uint64_t>(ms), std::memory_order_relaxed);
  }
  uint64_t count() const;

  // Appends `name`_bucket{labels,le=...}, `name`_sum and `name`_count lines; `labels` is
  // `key="value",...` (escaped) or empty.
  void appendPrometheus(std::string* out, absl::string_view name, absl::string_view labels) const;
  // The HELP and TYPE lines of a histogram family.
  static void appendHeader(std::string* out, absl::string_view name, absl::string_view help);

 private:
  std::atomic<uint64_t> counts_[kBuckets + 1] = {};
  std::atomic<uint64_t> sum_ms_{0};
};

}  // namespace strait::core
