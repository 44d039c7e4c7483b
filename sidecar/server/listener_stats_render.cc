#include "sidecar/server/listener_stats_render.h"

#include "absl/strings/str_cat.h"
#include "sidecar/core/prometheus.h"

namespace strait::server {

void renderListenerStats(const proxy::Snapshot& snap, std::string* out) {
  auto header = [out](const char* name, const char* help) {
    absl::StrAppend(out, "# HELP ", name, " ", help, "\n# TYPE ", name, " counter\n");
  };
  auto load = [](const std::atomic<uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  header("strait_listener_cx_total", "Connections accepted by the listener.");
  for (const auto& l : snap.listeners) {
    absl::StrAppend(out, "strait_listener_cx_total{listener=\"", core::escapeLabelValue(l.name), "\"} ",
                    load(l.socket->counters().connections), "\n");
  }
  header("strait_listener_tls_handshake_total", "TLS handshakes completed on the listener.");
  for (const auto& l : snap.listeners) {
    if (!l.tls) continue;
    absl::StrAppend(out, "strait_listener_tls_handshake_total{listener=\"", core::escapeLabelValue(l.name), "\"} ",
                    load(l.socket->counters().tls_handshakes), "\n");
  }
  header("strait_listener_tls_handshake_failure_total",
         "TLS handshakes that failed on the listener, by OpenSSL's reason (connection_closed: the client left).");
  for (const auto& l : snap.listeners) {
    for (const auto& [reason, n] : l.socket->counters().tlsFailures()) {
      absl::StrAppend(out, "strait_listener_tls_handshake_failure_total{listener=\"", core::escapeLabelValue(l.name),
                      "\",reason=\"", core::escapeLabelValue(reason), "\"} ", n, "\n");
    }
  }
}

}  // namespace strait::server
