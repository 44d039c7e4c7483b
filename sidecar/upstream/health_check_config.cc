#include "sidecar/upstream/health_check_config.h"

#include <algorithm>

namespace strait::proxy {
namespace {
int64_t durationMs(const google::protobuf::Duration& d) { return d.seconds() * 1000 + d.nanos() / 1000000; }
}  // namespace

HealthCheckConfig HealthCheckConfig::fromProto(const strait::v1::Cluster& cluster) {
  HealthCheckConfig c;
  if (!cluster.has_health_check()) return c;
  const auto& hc = cluster.health_check();
  c.enabled = true;
  c.http = hc.has_http();
  c.interval_ms = std::max<int64_t>(1, durationMs(hc.interval()));
  c.jitter_ms = std::max<int64_t>(0, durationMs(hc.interval_jitter()));
  if (durationMs(hc.timeout()) > 0) c.timeout_ms = durationMs(hc.timeout());
  if (hc.has_unhealthy_threshold() && hc.unhealthy_threshold() > 0) c.unhealthy_threshold = hc.unhealthy_threshold();
  if (hc.has_healthy_threshold() && hc.healthy_threshold() > 0) c.healthy_threshold = hc.healthy_threshold();
  if (c.http) {
    c.path = hc.http().path();
    c.host = hc.http().host().empty() ? cluster.name() : hc.http().host();
    for (const auto& r : hc.http().expected_statuses()) {
      c.expected.emplace_back(static_cast<int>(r.start()), static_cast<int>(r.end()));
    }
    if (c.expected.empty()) c.expected.emplace_back(200, 300);
  }
  return c;
}

bool HealthCheckConfig::statusPasses(int status) const {
  for (const auto& [first, end] : expected) {
    if (status >= first && status < end) return true;
  }
  return false;
}

bool HealthCheckConfig::operator==(const HealthCheckConfig& o) const {
  return enabled == o.enabled && http == o.http && interval_ms == o.interval_ms && jitter_ms == o.jitter_ms &&
         timeout_ms == o.timeout_ms && unhealthy_threshold == o.unhealthy_threshold &&
         healthy_threshold == o.healthy_threshold && path == o.path && host == o.host && expected == o.expected;
}

}  // namespace strait::proxy
