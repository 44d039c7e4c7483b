#include "sidecar/server/apply_stats_render.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace strait::server {
namespace {

void gauge(std::string* out, const char* name, const char* help, double seconds) {
  absl::StrAppend(out, "# HELP ", name, " ", help, "\n# TYPE ", name, " gauge\n", name, " ",
                  absl::StrFormat("%.6f", seconds), "\n");
}

void byResult(std::string* out, const char* name, const char* help, const char* first, size_t a,
              const char* second, size_t b) {
  absl::StrAppend(out, "# HELP ", name, " ", help, "\n# TYPE ", name, " gauge\n");
  absl::StrAppend(out, name, "{result=\"", first, "\"} ", a, "\n", name, "{result=\"", second, "\"} ", b, "\n");
}

}  // namespace

void renderApplyStats(const ApplyReport& r, std::string* out) {
  if (r.version.empty()) return;
  auto s = [](absl::Duration d) { return absl::ToDoubleSeconds(d); };
  gauge(out, "strait_config_apply_last_validate_seconds", "Last generation applied: validation.",
        s(r.build.validate));
  gauge(out, "strait_config_apply_last_build_seconds",
        "Last generation applied: building its snapshot (copy, route tables, clusters, listeners).",
        s(r.build.build()));
  gauge(out, "strait_config_apply_last_publish_seconds",
        "Last generation applied: from built to switched on every worker.", s(r.publish));
  gauge(out, "strait_config_apply_last_worker_switch_seconds",
        "Last generation applied: the longest time one worker's thread spent switching.", s(r.worker_switch));
  gauge(out, "strait_config_apply_last_total_seconds",
        "Last generation applied: from received (decoded) to live on every worker.", s(r.total));
  gauge(out, "strait_config_apply_last_live_timestamp_seconds",
        "Last generation applied: when it went live on every worker (Unix time).", absl::ToDoubleSeconds(
            r.live_at - absl::UnixEpoch()));
  byResult(out, "strait_config_apply_last_route_tables",
           "Last generation applied: route tables compiled, and reused (same content as before).", "compiled",
           r.build.route_tables_compiled, "reused", r.build.route_tables_reused);
  byResult(out, "strait_config_apply_last_clusters",
           "Last generation applied: clusters built, and reused (unchanged: balancers kept).", "built",
           r.build.clusters_built, "reused", r.build.clusters_reused);
}

}  // namespace strait::server
