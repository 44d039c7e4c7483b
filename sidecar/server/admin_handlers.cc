#include "sidecar/filters/waf/audit_log.h"
#include "sidecar/accesslog/access_log.h"
#include "sidecar/server/listener_stats_render.h"
#include "sidecar/server/request_stats_render.h"
#include "sidecar/tracing/span_exporter.h"
#include "sidecar/filters/waf/waf_rules.h"
#include "sidecar/server/admin_handlers.h"

#include <google/protobuf/util/json_util.h>

#include <algorithm>

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/log.h"
#include "sidecar/core/overload.h"
#include "sidecar/core/prometheus.h"
#include "sidecar/filters/cache/cache_stats.h"
#include "sidecar/filters/compression/compression_stats.h"
#include "sidecar/filters/filter_stats.h"
#include "sidecar/server/admin_config_dump.h"
#include "sidecar/server/admin_json.h"
#include "sidecar/server/admin_listeners.h"
#include "sidecar/server/admin_query.h"
#include "sidecar/server/admin_stats_format.h"
#include "sidecar/server/apply_stats_render.h"

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
  std::vector<std::pair<std::string, const CS*>> clusters;  // escaped label value, state
  for (const auto& [name, info] : snap.clusters) clusters.emplace_back(core::escapeLabelValue(name), info->state.get());
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


const char* healthName(bool failed_hc, bool ejected) {
  if (failed_hc && ejected) return "failed_active_hc,ejected";
  if (failed_hc) return "failed_active_hc";
  return ejected ? "ejected" : "healthy";
}

void appendEndpoint(std::string& out, const proxy::EndpointInfo& ep, int64_t now_ms) {
  const proxy::HostState& s = *ep.state;
  bool failed_hc = s.health_check_failed.load(std::memory_order_relaxed);
  int64_t until = s.ejected_until_ms.load(std::memory_order_relaxed);
  bool ejected = until > now_ms;
  out += "{\"address\": ";
  appendJsonString(out, ep.address.toString());
  absl::StrAppend(&out, ", \"health\": \"", healthName(failed_hc, ejected), "\", \"failed_active_hc\": ",
                  failed_hc ? "true" : "false", ", \"ejected\": ", ejected ? "true" : "false",
                  ", \"ejected_remaining_ms\": ", ejected ? until - now_ms : 0,
                  ", \"ejections\": ", s.ejections.load(std::memory_order_relaxed),
                  ", \"active_requests\": ", s.active_requests.load(std::memory_order_relaxed), "}");
}

// Health-check and outlier gauges of the live generation.
void endpointGauges(const AdminSources& src, std::string& out) {
  proxy::SnapshotPtr snap = src.publisher->current();
  uint64_t failed_hc = 0, ejected = 0;
  int64_t now = event::monotonicMs();
  if (snap) {
    for (const auto& [name, cluster] : snap->clusters) {
      for (const auto& ep : cluster->endpoints) {
        failed_hc += ep.state->health_check_failed.load(std::memory_order_relaxed) ? 1 : 0;
        ejected += ep.state->ejected_until_ms.load(std::memory_order_relaxed) > now ? 1 : 0;
      }
    }
  }
  counter(out, "strait_endpoints_failed_active_hc", "Endpoints out of the rotation by active health checks.",
          failed_hc, "gauge");
  counter(out, "strait_endpoints_ejected", "Endpoints ejected by outlier detection now.", ejected, "gauge");
}

}  // namespace

std::string renderClusters(const AdminSources& src, int64_t now_ms) {
  proxy::SnapshotPtr snap = src.publisher->current();
  std::string out = "{\"version\": ";
  appendJsonString(out, snap ? src.publisher->liveVersion() : "");
  out += ", \"clusters\": [";
  std::vector<const proxy::ClusterInfo*> clusters;
  if (snap) {
    for (const auto& [name, cluster] : snap->clusters) clusters.push_back(cluster.get());
  }
  std::sort(clusters.begin(), clusters.end(), [](auto* a, auto* b) { return a->name < b->name; });
  for (size_t i = 0; i < clusters.size(); i++) {
    const proxy::ClusterInfo& c = *clusters[i];
    out += i ? ",\n  {\"name\": " : "\n  {\"name\": ";
    appendJsonString(out, c.name);
    const char* hc = !c.health_check.enabled ? "none" : c.health_check.http ? "http" : "tcp";
    absl::StrAppend(&out, ", \"health_check\": \"", hc, "\", \"outlier_detection\": ",
                    c.outlier.enabled ? "true" : "false", ", \"endpoints\": [");
    for (size_t j = 0; j < c.endpoints.size(); j++) {
      out += j ? ",\n    " : "\n    ";
      appendEndpoint(out, c.endpoints[j], now_ms);
    }
    out += "]}";
  }
  out += "]}\n";
  return out;
}

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
  counter(out, "strait_generation_stale", "1 while serving the generation cache's copy (no control plane yet).",
          src.stale != nullptr && src.stale->load(std::memory_order_relaxed) ? 1 : 0, "gauge");
  counter(out, "strait_server_draining", "1 while the sidecar drains (SIGTERM or POST /drain).",
          src.draining != nullptr && src.draining->load(std::memory_order_relaxed) ? 1 : 0, "gauge");
  counter(out, "strait_downstream_rq_bad_request_total", "Requests refused by the HTTP/1.1 parser.",
          sum(src, &S::downstream_rq_bad_request));
  counter(out, "strait_downstream_rq_header_timeout_total",
          "HTTP/1.1 requests whose head did not arrive within request_headers_timeout (408).",
          sum(src, &S::downstream_rq_header_timeout));
  counter(out, "strait_downstream_h2_protocol_error_total", "HTTP/2 connections closed for a protocol error.",
          sum(src, &S::downstream_h2_protocol_error));
  counter(out, "strait_downstream_h2_flood_total", "HTTP/2 connections closed for flooding (GOAWAY ENHANCE_YOUR_CALM).",
          sum(src, &S::downstream_h2_flood));
  counter(out, "strait_downstream_h2_connection_buffer_full_total",
          "Times an HTTP/2 client connection's upstreams were all paused: its waiting response bytes reached http2_max_connection_buffer_bytes.",
          sum(src, &S::downstream_h2_connection_buffer_full));
  counter(out, "strait_downstream_cx_send_timeout_total",
          "Client connections closed because waiting response bytes made no progress for send_timeout.",
          sum(src, &S::downstream_cx_send_timeout));
  counter(out, "strait_downstream_cx_tcp_relay_total",
          "Intercepted connections relayed as bytes: not HTTP (to their original destination), or to a "
          "tcp_clusters service.",
          sum(src, &S::downstream_cx_tcp_relay));
  counter(out, "strait_downstream_cx_tcp_relay_failed_total",
          "Connections to a tcp_clusters service closed at once: no available endpoint, or no socket.",
          sum(src, &S::downstream_cx_tcp_relay_failed));
  counter(out, "strait_downstream_cx_not_http_total",
          "Intercepted connections that were not HTTP, closed (the listener has no passthrough_tcp).",
          sum(src, &S::downstream_cx_not_http));
  counter(out, "strait_downstream_cx_client_limit_total",
          "Connections closed at accept: their client address had max_connections_per_client open.",
          sum(src, &S::downstream_cx_client_limit));
  counter(out, "strait_downstream_rq_body_timeout_total",
          "Requests whose body arrived slower than request_body_min_rate (408).",
          sum(src, &S::downstream_rq_body_timeout));
  counter(out, "strait_downstream_rq_active", "Downstream requests being proxied.", sum(src, &S::downstream_rq_active),
          "gauge");
  counter(out, "strait_downstream_cx_total", "Downstream connections accepted.", sum(src, &S::downstream_cx_total));
  counter(out, "strait_downstream_cx_active", "Downstream connections open.", sum(src, &S::downstream_cx_active), "gauge");
  counter(out, "strait_upstream_cx_total", "Upstream connections opened.", sum(src, &S::upstream_cx_total));
  counter(out, "strait_upstream_cx_active", "Upstream connections open.", sum(src, &S::upstream_cx_active), "gauge");
  counter(out, "strait_upstream_cx_connect_fail_total", "Upstream connect failures.", sum(src, &S::upstream_cx_connect_fail));
  counter(out, "strait_upstream_rq_total", "Requests sent upstream.", sum(src, &S::upstream_rq_total));
  counter(out, "strait_upstream_rq_timeout_total", "Upstream requests timed out.", sum(src, &S::upstream_rq_timeout));
  counter(out, "strait_upstream_rq_reset_total", "Upstream requests reset.", sum(src, &S::upstream_rq_reset));
  counter(out, "strait_outlier_ejections_total", "Endpoints ejected by outlier detection.",
          sum(src, &S::outlier_ejections));
  counter(out, "strait_outlier_ejections_overflow_total", "Ejections not done because of max_ejection_percent.",
          sum(src, &S::outlier_ejections_overflow));
  counter(out, "strait_mirror_total", "Request copies sent to a shadow cluster (request_mirror_policies).",
          sum(src, &S::mirror_total));
  counter(out, "strait_mirror_dropped_total", "Request copies dropped: body over max_body_bytes.",
          sum(src, &S::mirror_dropped));
  if (src.health_checks) {
    const proxy::HealthCheckStats& hc = *src.health_checks;
    counter(out, "strait_health_check_attempt_total", "Active health checks started.", hc.attempts.load());
    counter(out, "strait_health_check_success_total", "Active health checks passed.", hc.successes.load());
    counter(out, "strait_health_check_failure_total", "Active health checks failed.", hc.failures.load());
    counter(out, "strait_health_check_unhealthy_total", "Endpoints taken out of the rotation by active checks.",
            hc.became_unhealthy.load());
    counter(out, "strait_health_check_healthy_total", "Endpoints brought back by active checks.",
            hc.became_healthy.load());
  }
  endpointGauges(src, out);
  filters::cache::appendCacheStats(&out);
  counter(out, "strait_config_applied_total", "Generations applied.", src.publisher->appliedCount());
  counter(out, "strait_config_rejected_total", "Generations rejected (NACKed).", src.publisher->rejectedCount());
  renderApplyStats(src.publisher->lastApply(), &out);
  if (src.ads) {
    counter(out, "strait_ads_connected", "1 while the control-plane stream is up.", src.ads->connected() ? 1 : 0, "gauge");
    counter(out, "strait_ads_reconnects_total", "Control-plane stream reconnects.", src.ads->reconnects());
    counter(out, "strait_ads_deltas_applied_total",
            "Versions that arrived as a GenerationDelta (load assignments only) and were ACKed.",
            src.ads->deltasApplied());
  }
  filters::compression::renderCompressionStats(&out);
  if (proxy::SnapshotPtr snap = src.publisher->current()) {
    renderClusterStats(out, *snap);
    renderRequestStats(*snap, &out);
    renderListenerStats(*snap, &out);
  }
  counter(out, "strait_waf_rule_sets_compiled_total",
          "WAF rule sets compiled (a generation reuses an unchanged filter's rule set).",
          filters::waf::CompiledRules::compiledCount());
  counter(out, "strait_access_log_written_total", "Access log lines written (every access log file).",
          accesslog::AccessLog::writtenTotal());
  counter(out, "strait_access_log_dropped_total",
          "Access log lines dropped: their file's writer was more than 4 MiB behind, or a write failed.",
          accesslog::AccessLog::droppedTotal());
  counter(out, "strait_tracing_spans_exported_total", "Spans a collector accepted.",
          tracing::SpanExporter::exported());
  counter(out, "strait_tracing_spans_dropped_total",
          "Spans dropped before export: 10000 were already waiting (a collector down or slow).",
          tracing::SpanExporter::dropped());
  counter(out, "strait_tracing_spans_failed_total",
          "Spans in batches a collector did not take (no endpoint, connection failed, non-2xx answer).",
          tracing::SpanExporter::failed());
  if (filters::waf::AuditLog::enabled()) {
    counter(out, "strait_waf_audit_written_total", "WAF audit log lines written.", filters::waf::AuditLog::written());
    counter(out, "strait_waf_audit_dropped_total", "WAF audit log lines dropped (writer behind, or write errors).",
            filters::waf::AuditLog::dropped());
  }
  proxy::OverloadState::global().render(&out);
  filters::FilterStats::render(out);  // access_control, local_rate_limit, waf, ...
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
  return absl::StrCat("{\"version\": \"", src.publisher->liveVersion(), "\", \"applied_at\": \"", applied,
                      "\", \"generation\": ", gen_json.empty() ? "{}" : gen_json, "}\n");
}

namespace {

AdminResponse badRequest(const absl::Status& status) {
  return {400, "text/plain", absl::StrCat(status.message(), "\n")};
}

bool staleNow(const AdminSources& src) { return src.stale != nullptr && src.stale->load(std::memory_order_relaxed); }

AdminResponse handleReady(const AdminSources& src) {
  if (src.draining != nullptr && src.draining->load(std::memory_order_relaxed)) {
    return {503, "text/plain", "DRAINING\n"};
  }
  proxy::SnapshotPtr current = src.publisher->current();
  if (current == nullptr) return {503, "text/plain", "NOT READY: no generation applied yet\n"};
  if (staleNow(src)) {
    return {200, "text/plain",
            absl::StrCat("LIVE (stale: the cached generation ", src.publisher->liveVersion(),
                         "; the control plane has not sent one since start)\n")};
  }
  std::string over = proxy::OverloadState::global().overNames();
  if (!over.empty()) return {200, "text/plain", absl::StrCat("LIVE (overloaded: ", over, ")\n")};
  return {200, "text/plain", "LIVE\n"};
}

// /stats[?filter=REGEX][&format=json|prometheus]
AdminResponse handleStats(const AdminSources& src, const AdminQuery& query) {
  if (auto s = query.allowOnly({"filter", "format"}); !s.ok()) return badRequest(s);
  const std::string* format = query.get("format");
  bool json = format != nullptr && *format == "json";
  if (format != nullptr && !json && *format != "prometheus") {
    return badRequest(absl::InvalidArgumentError(absl::StrCat("unknown format '", *format, "' (json or prometheus)")));
  }
  std::unique_ptr<RE2> filter;
  if (const std::string* pattern = query.get("filter")) {
    auto compiled = compileStatsFilter(*pattern);
    if (!compiled.ok()) return badRequest(compiled.status());
    filter = std::move(*compiled);
  }
  std::string text = renderStats(src);
  if (json) return {200, "application/json", statsToJson(text, filter.get())};
  if (filter) text = filterStats(text, filter.get());
  return {200, "text/plain; version=0.0.4", std::move(text)};
}

// /config_dump[?resource=KIND[&name=NAME]]
AdminResponse handleConfigDump(const AdminSources& src, const AdminQuery& query) {
  if (auto s = query.allowOnly({"resource", "name"}); !s.ok()) return badRequest(s);
  const std::string* kind = query.get("resource");
  const std::string* name = query.get("name");
  if (kind == nullptr) {
    if (name != nullptr) return badRequest(absl::InvalidArgumentError("name needs resource=KIND"));
    return {200, "application/json", renderConfigDump(src)};
  }
  if (name != nullptr && name->empty()) return badRequest(absl::InvalidArgumentError("name is empty"));
  proxy::SnapshotPtr snap = src.publisher->current();
  auto dump = renderConfigDumpResource(snap.get(), src.publisher->liveVersion(), *kind, name ? *name : "");
  if (absl::IsNotFound(dump.status())) return {404, "text/plain", absl::StrCat(dump.status().message(), "\n")};
  if (!dump.ok()) return badRequest(dump.status());
  return {200, "application/json", std::move(*dump)};
}

// /version: the live generation's version on the first line, then whether it is stale (the
// generation cache's copy, no control plane since start).
AdminResponse handleVersion(const AdminSources& src) {
  proxy::SnapshotPtr snap = src.publisher->current();
  if (snap == nullptr) return {503, "text/plain", "NOT READY: no generation applied yet\n"};
  return {200, "text/plain", absl::StrCat(src.publisher->liveVersion(), "\nstale: ", staleNow(src) ? "yes" : "no", "\n")};
}

// GET /logging shows the level; POST /logging?level=LEVEL sets it (POST, as /drain: a crawler
// or a probe must not turn on debug logging).
AdminResponse handleLogging(const std::string& method, const AdminQuery& query) {
  if (auto s = query.allowOnly({"level"}); !s.ok()) return badRequest(s);
  const std::string* level = query.get("level");
  common::LogLevel old = common::logLevel();
  if (level == nullptr) {
    if (method != "GET" && method != "HEAD") return {405, "text/plain", "POST /logging needs ?level=LEVEL\n"};
    return {200, "text/plain", absl::StrCat(common::logLevelName(old), "\n")};
  }
  if (method != "POST") return {405, "text/plain", "POST /logging?level=LEVEL changes the log level\n"};
  auto parsed = common::parseLogLevel(*level);
  if (!parsed.ok()) return badRequest(parsed.status());
  common::setLogLevel(*parsed);
  // Whatever the new level: an operator's change leaves a trace.
  common::writeLogLine(absl::StrCat("strait-sidecar: admin: log level ", common::logLevelName(*parsed), " (was ",
                                    common::logLevelName(old), ")"));
  return {200, "text/plain",
          absl::StrCat(common::logLevelName(*parsed), " (was ", common::logLevelName(old), ")\n")};
}

constexpr const char* kPaths =
    "admin paths: /ready /version /stats /config_dump /clusters /listeners /logging, POST /drain, "
    "POST /logging?level=LEVEL\n";

}  // namespace

AdminResponse handleAdmin(const AdminSources& src, const std::string& method, const std::string& target) {
  auto parsed = parseAdminTarget(target);
  if (!parsed.ok()) return badRequest(parsed.status());
  const std::string& path = parsed->path;
  const AdminQuery& query = parsed->query;
  if (path == "/drain") {
    // Mutating: POST only (as Envoy's /drain_listeners), so a crawler or a probe cannot drain.
    if (method != "POST" || !src.drain) return {405, "text/plain", "POST /drain starts a graceful drain\n"};
    src.drain();
    return {200, "text/plain", "DRAINING\n"};
  }
  if (path == "/logging") return handleLogging(method, query);
  if (method != "GET" && method != "HEAD") return {405, "text/plain", "method not allowed\n"};
  // Paths without parameters ignore a (well-formed) query, as they always have.
  if (path == "/ready") return handleReady(src);
  if (path == "/version") return handleVersion(src);
  if (path == "/stats") return handleStats(src, query);
  if (path == "/config_dump") return handleConfigDump(src, query);
  if (path == "/clusters") return {200, "application/json", renderClusters(src, event::monotonicMs())};
  if (path == "/listeners") return {200, "application/json", renderListeners(src.publisher->current().get(), src.publisher->liveVersion())};
  return {404, "text/plain", kPaths};
}

}  // namespace strait::server
