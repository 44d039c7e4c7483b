#include "sidecar/server/admin_handlers.h"

#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace strait::server {
namespace {

using Counter = proxy::WorkerStats::Counter;

uint64_t sum(const AdminSources& src, const Counter proxy::WorkerStats::*field) {
  uint64_t total = 0;
  for (const Worker* w : src.workers) total += (w->workerStats().*field).load(std::memory_order_relaxed);
  return total;
}

void counter(std::string& out, const std::string& name, const std::string& help, uint64_t v,
             const char* type = "counter") {
  absl::StrAppend(&out, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n", name, " ", v, "\n");
}

// Circuit-breaker gauges and retry counters per cluster of the live generation.
void renderClusterStats(std::string& out, const proxy::Snapshot& snap) {
  using CS = proxy::ClusterState;
  std::vector<std::pair<std::string, const CS*>> clusters;
  for (const auto& [name, info] : snap.clusters) clusters.emplace_back(name, info->state.get());
  std::sort(clusters.begin(), clusters.end());
  auto family = [&](const char* name, const char* help, const char* type, auto value) {
    absl::StrAppend(&out, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n");
    for (const auto& [cluster, state] : clusters) {
      absl::StrAppend(&out, name, "{cluster=\"", cluster, "\"} ", value(*state), "\n");
    }
  };
  auto load = [](const auto& atomic) { return atomic.load(std::memory_order_relaxed); };
  family("strait_cluster_cx_active", "Open upstream connections of the cluster.", "gauge",
         [&](const CS& s) { return load(s.connections); });
  family("strait_cluster_rq_active", "Requests in flight to the cluster.", "gauge",
         [&](const CS& s) { return load(s.active_requests); });
  family("strait_cluster_rq_pending", "Requests waiting for a new upstream connection.", "gauge",
         [&](const CS& s) { return load(s.pending_requests); });
  family("strait_cluster_retry_active", "Retries in flight to the cluster.", "gauge",
         [&](const CS& s) { return load(s.active_retries); });
  family("strait_cluster_retry_total", "Retry attempts made.", "counter",
         [&](const CS& s) { return load(s.retries); });
  absl::StrAppend(&out, "# HELP strait_cluster_overflow_total Requests refused, or retries not made, by circuit-breaker limit.\n"
                        "# TYPE strait_cluster_overflow_total counter\n");
  for (const auto& [cluster, state] : clusters) {
    for (int l = 0; l < CS::kLimitCount; l++) {
      uint64_t v = load(state->overflows[l]);
      if (l == CS::kMaxRetries) v += load(state->retries_overflowed);
      absl::StrAppend(&out, "strait_cluster_overflow_total{cluster=\"", cluster, "\",limit=\"",
                      CS::limitName(static_cast<CS::Limit>(l)), "\"} ", v, "\n");
    }
  }
}

}  // namespace

std::string renderStats(const AdminSources& src) {
  using S = proxy::WorkerStats;
  std::string out;
  out += "# HELP strait_downstream_rq_total Downstream responses by status class.\n"
         "# TYPE strait_downstream_rq_total counter\n";
  for (int cls = 1; cls <= 5; cls++) {
    uint64_t v = 0;
    for (const Worker* w : src.workers) v += w->workerStats().downstream_rq_by_class[cls].load();
    absl::StrAppend(&out, "strait_downstream_rq_total{code_class=\"", cls, "xx\"} ", v, "\n");
  }
  counter(out, "strait_downstream_rq_started_total", "Downstream requests started.", sum(src, &S::downstream_rq_total));
  counter(out, "strait_downstream_rq_bad_request_total", "Requests refused by the HTTP/1.1 parser.",
          sum(src, &S::downstream_rq_bad_request));
  counter(out, "strait_downstream_h2_protocol_error_total", "HTTP/2 connections closed for a protocol error.",
          sum(src, &S::downstream_h2_protocol_error));
  counter(out, "strait_downstream_h2_flood_total", "HTTP/2 connections closed for flooding (GOAWAY ENHANCE_YOUR_CALM).",
          sum(src, &S::downstream_h2_flood));
  counter(out, "strait_downstream_cx_total", "Downstream connections accepted.", sum(src, &S::downstream_cx_total));
  counter(out, "strait_downstream_cx_active", "Downstream connections open.", sum(src, &S::downstream_cx_active), "gauge");
  counter(out, "strait_upstream_cx_total", "Upstream connections opened.", sum(src, &S::upstream_cx_total));
  counter(out, "strait_upstream_cx_active", "Upstream connections open.", sum(src, &S::upstream_cx_active), "gauge");
  counter(out, "strait_upstream_cx_connect_fail_total", "Upstream connect failures.", sum(src, &S::upstream_cx_connect_fail));
  counter(out, "strait_upstream_rq_total", "Requests sent upstream.", sum(src, &S::upstream_rq_total));
  counter(out, "strait_upstream_rq_timeout_total", "Upstream requests timed out.", sum(src, &S::upstream_rq_timeout));
  counter(out, "strait_upstream_rq_reset_total", "Upstream requests reset.", sum(src, &S::upstream_rq_reset));
  counter(out, "strait_config_applied_total", "Generations applied.", src.publisher->appliedCount());
  counter(out, "strait_config_rejected_total", "Generations rejected (NACKed).", src.publisher->rejectedCount());
  if (src.ads) {
    counter(out, "strait_ads_connected", "1 while the control-plane stream is up.", src.ads->connected() ? 1 : 0, "gauge");
    counter(out, "strait_ads_reconnects_total", "Control-plane stream reconnects.", src.ads->reconnects());
  }
  if (proxy::SnapshotPtr snap = src.publisher->current()) renderClusterStats(out, *snap);
  return out;
}

std::string renderConfigDump(const AdminSources& src) {
  proxy::SnapshotPtr snap = src.publisher->current();
  if (!snap) return "{\"version\": \"\", \"applied_at\": \"\", \"generation\": {}}\n";
  strait::v1::Generation redacted = snap->generation;
  for (auto& s : *redacted.mutable_secrets()) {
    if (!s.private_key().empty()) s.set_private_key("[redacted]");
  }
  std::string gen_json;
  google::protobuf::util::JsonPrintOptions opts;
  opts.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(redacted, &gen_json, opts);
  std::string applied = absl::FormatTime(absl::RFC3339_full, snap->applied_at, absl::UTCTimeZone());
  return absl::StrCat("{\"version\": \"", snap->version, "\", \"applied_at\": \"", applied,
                      "\", \"generation\": ", gen_json.empty() ? "{}" : gen_json, "}\n");
}

AdminResponse handleAdmin(const AdminSources& src, const std::string& method, const std::string& path) {
  if (method != "GET" && method != "HEAD") return {405, "text/plain", "method not allowed\n"};
  if (path == "/ready") {
    bool ready = src.publisher->current() != nullptr;
    return {ready ? 200 : 503, "text/plain", ready ? "LIVE\n" : "NOT READY: no generation applied yet\n"};
  }
  if (path == "/stats") return {200, "text/plain; version=0.0.4", renderStats(src)};
  if (path == "/config_dump") return {200, "application/json", renderConfigDump(src)};
  return {404, "text/plain", "admin paths: /ready /stats /config_dump\n"};
}

}  // namespace strait::server
