#include "sidecar/core/overload.h"

#include "absl/strings/str_cat.h"

namespace strait::proxy {

const char* OverloadState::resourceName(Resource r) {
  switch (r) {
    case kMemory: return "memory_bytes";
    case kConnections: return "downstream_connections";
    case kRequests: return "active_requests";
    default: return "unknown";
  }
}

OverloadState& OverloadState::global() {
  static OverloadState* state = new OverloadState();  // never destroyed: read by exiting threads
  return *state;
}

void OverloadState::set(Resource r, bool over, uint64_t value) {
  values_[r].store(value, std::memory_order_relaxed);
  if (over) {
    bits_.fetch_or(1u << r, std::memory_order_relaxed);
  } else {
    bits_.fetch_and(~(1u << r), std::memory_order_relaxed);
  }
}

std::string OverloadState::overNames() const {
  std::string out;
  for (int r = 0; r < kResourceCount; r++) {
    if (over(static_cast<Resource>(r))) absl::StrAppend(&out, out.empty() ? "" : ", ", resourceName(static_cast<Resource>(r)));
  }
  return out;
}

void OverloadState::render(std::string* out) const {
  if (configured_.load(std::memory_order_relaxed) == 0) return;
  absl::StrAppend(out, "# HELP strait_overload_active 1 while the resource is over its high watermark (until below its low one).\n",
                  "# TYPE strait_overload_active gauge\n");
  for (int r = 0; r < kResourceCount; r++) {
    if (!configured(static_cast<Resource>(r))) continue;
    absl::StrAppend(out, "strait_overload_active{resource=\"", resourceName(static_cast<Resource>(r)), "\"} ",
                    over(static_cast<Resource>(r)) ? 1 : 0, "\n");
  }
  absl::StrAppend(out, "# HELP strait_overload_value The resource's last sample.\n",
                  "# TYPE strait_overload_value gauge\n");
  for (int r = 0; r < kResourceCount; r++) {
    if (!configured(static_cast<Resource>(r))) continue;
    absl::StrAppend(out, "strait_overload_value{resource=\"", resourceName(static_cast<Resource>(r)), "\"} ",
                    value(static_cast<Resource>(r)), "\n");
  }
  absl::StrAppend(out, "# HELP strait_overload_refused_total New connections and requests refused while overloaded.\n",
                  "# TYPE strait_overload_refused_total counter\n",
                  "strait_overload_refused_total{what=\"connection\"} ", refusedConnections(), "\n",
                  "strait_overload_refused_total{what=\"request\"} ", refusedRequests(), "\n");
}

}  // namespace strait::proxy
