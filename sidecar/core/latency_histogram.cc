#include "sidecar/core/latency_histogram.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace strait::core {

uint64_t LatencyHistogram::count() const {
  uint64_t n = 0;
  for (const auto& c : counts_) n += c.load(std::memory_order_relaxed);
  return n;
}

void LatencyHistogram::appendHeader(std::string* out, absl::string_view name, absl::string_view help) {
  absl::StrAppend(out, "# HELP ", name, " ", help, "\n# TYPE ", name, " histogram\n");
}

void LatencyHistogram::appendPrometheus(std::string* out, absl::string_view name, absl::string_view labels) const {
  std::string sep = labels.empty() ? "" : absl::StrCat(labels, ",");
  uint64_t cumulative = 0;
  for (int i = 0; i <= kBuckets; i++) {
    cumulative += counts_[i].load(std::memory_order_relaxed);
    std::string le = i < kBuckets ? absl::StrFormat("%g", static_cast<double>(kBoundsMs[i]) / 1000) : "+Inf";
    absl::StrAppend(out, name, "_bucket{", sep, "le=\"", le, "\"} ", cumulative, "\n");
  }
  std::string braces = labels.empty() ? "" : absl::StrCat("{", labels, "}");
  absl::StrAppendFormat(out, "%s_sum%s %g\n", name, braces,
                        static_cast<double>(sum_ms_.load(std::memory_order_relaxed)) / 1000);
  absl::StrAppend(out, name, "_count", braces, " ", cumulative, "\n");
}

}  // namespace strait::core
