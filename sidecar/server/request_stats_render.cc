#include "sidecar/server/request_stats_render.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "sidecar/core/prometheus.h"
#include "sidecar/router/route_stats.h"

namespace strait::server {
namespace {

using Series = std::vector<std::pair<std::string, const proxy::RequestStats*>>;  // escaped label, stats

void renderFamilies(const char* prefix, const char* label, const char* what, const Series& series, std::string* out) {
  auto load = [](const std::atomic<uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  std::string name = absl::StrCat(prefix, "_rq_total");
  absl::StrAppend(out, "# HELP ", name, " Requests ", what, " by response status class (0xx: none sent).\n# TYPE ",
                  name, " counter\n");
  for (const auto& [value, stats] : series) {
    for (int cls = 0; cls <= 5; cls++) {
      absl::StrAppend(out, name, "{", label, "=\"", value, "\",class=\"", cls, "xx\"} ", load(stats->by_class[cls]), "\n");
    }
  }
  name = absl::StrCat(prefix, "_rq_flag_total");
  absl::StrAppend(out, "# HELP ", name, " Requests ", what, " by response flag (the typed failures; flags seen only).\n# TYPE ",
                  name, " counter\n");
  for (const auto& [value, stats] : series) {
    for (int f = 1; f < static_cast<int>(http::ResponseFlag::kCount); f++) {
      uint64_t v = load(stats->by_flag[f]);
      if (v == 0) continue;
      absl::StrAppend(out, name, "{", label, "=\"", value, "\",flag=\"",
                      std::string(http::responseFlagName(static_cast<http::ResponseFlag>(f))), "\"} ", v, "\n");
    }
  }
  name = absl::StrCat(prefix, "_rq_duration_seconds");
  core::LatencyHistogram::appendHeader(out, name, absl::StrCat("Time from a request's start to its response's end, requests ", what, "."));
  for (const auto& [value, stats] : series) stats->duration.appendPrometheus(out, name, absl::StrCat(label, "=\"", value, "\""));
  name = absl::StrCat(prefix, "_upstream_time_seconds");
  core::LatencyHistogram::appendHeader(
      out, name, absl::StrCat("Time from a request's start to the first byte of the upstream's response, requests ", what, "."));
  for (const auto& [value, stats] : series) {
    stats->upstream_time.appendPrometheus(out, name, absl::StrCat(label, "=\"", value, "\""));
  }
}

}  // namespace

void renderRequestStats(const proxy::Snapshot& snap, std::string* out) {
  Series clusters;
  for (const auto& [name, info] : snap.clusters) clusters.emplace_back(core::escapeLabelValue(name), &info->state->requests);
  std::sort(clusters.begin(), clusters.end());
  renderFamilies("strait_cluster", "cluster", "routed to the cluster", clusters, out);
  auto held = proxy::RouteStats::all();  // keeps them alive while rendering
  Series routes;
  for (const auto& [name, stats] : held) routes.emplace_back(core::escapeLabelValue(name), stats.get());
  renderFamilies("strait_route", "route", "of the route", routes, out);
}

}  // namespace strait::server
