// Validation of a cluster's health_check and outlier_detection (see validate.h). Every
// problem names the cluster and the field, e.g.
//   cluster 'api': health_check.http.path: must start with '/'
#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "xds/validate_internal.h"

namespace strait::xds::internal {
namespace {

constexpr int64_t kMs = 1000000;  // nanoseconds
constexpr int64_t kSecond = 1000 * kMs;
constexpr int64_t kHour = 3600 * kSecond;

// A duration field in [lo, hi] nanoseconds; with `zero_ok`, 0 (unset: the default) too.
void checkDuration(const strait::v1::Cluster& c, const std::string& field, const google::protobuf::Duration& d,
                   int64_t lo, int64_t hi, const std::string& range, bool zero_ok, Problems* p) {
  int64_t ns = toNanos(d);
  if (isValidDuration(d) && ((zero_ok && ns == 0) || (ns >= lo && ns <= hi))) return;
  p->add("cluster", c.name(), field, absl::StrCat("must be ", zero_ok ? "0 (the default) or " : "", range));
}

void checkThreshold(const strait::v1::Cluster& c, const std::string& field, bool has, uint32_t value,
                    Problems* p) {
  if (has && (value < 1 || value > 1000)) {
    p->add("cluster", c.name(), field, absl::StrCat("must be between 1 and 1000, got ", value));
  }
}

bool isRequestTarget(const std::string& path) {
  if (path.empty() || path[0] != '/') return false;
  for (unsigned char ch : path) {
    if (ch <= 0x20 || ch == 0x7f) return false;
  }
  return true;
}

void checkHttp(const strait::v1::Cluster& c, const strait::v1::HealthCheck::Http& http, Problems* p) {
  if (http.path().empty()) {
    p->add("cluster", c.name(), "health_check.http.path", "required");
  } else if (!isRequestTarget(http.path())) {
    p->add("cluster", c.name(), "health_check.http.path",
           "must start with '/' and contain no spaces or control characters");
  }
  if (!isHeaderValue(http.host()) || http.host().find_first_of(" \t") != std::string::npos) {
    p->add("cluster", c.name(), "health_check.http.host", "must not contain spaces or control characters");
  }
  for (int i = 0; i < http.expected_statuses_size(); ++i) {
    const auto& r = http.expected_statuses(i);
    if (r.start() < 100 || r.end() > 600 || r.start() >= r.end()) {
      p->add("cluster", c.name(), absl::StrCat("health_check.http.expected_statuses[", i, "]"),
             absl::StrCat("range [", r.start(), ", ", r.end(), ") must satisfy 100 <= start < end <= 600"));
    }
  }
}

void checkHealthCheck(const strait::v1::Cluster& c, Problems* p) {
  const auto& hc = c.health_check();
  checkDuration(c, "health_check.interval", hc.interval(), 10 * kMs, kHour, "between 10ms and 1h",
                /*zero_ok=*/false, p);
  checkDuration(c, "health_check.interval_jitter", hc.interval_jitter(), 0, kHour, "between 0 and 1h", true, p);
  checkDuration(c, "health_check.timeout", hc.timeout(), kMs, 60 * kSecond, "between 1ms and 60s", true, p);
  checkThreshold(c, "health_check.unhealthy_threshold", hc.has_unhealthy_threshold(), hc.unhealthy_threshold(), p);
  checkThreshold(c, "health_check.healthy_threshold", hc.has_healthy_threshold(), hc.healthy_threshold(), p);
  switch (hc.check_case()) {
    case strait::v1::HealthCheck::kHttp:
      checkHttp(c, hc.http(), p);
      break;
    case strait::v1::HealthCheck::kTcp:
      break;
    default:
      p->add("cluster", c.name(), "health_check", "one of http, tcp is required");
  }
}

void checkOutlierDetection(const strait::v1::Cluster& c, Problems* p) {
  const auto& od = c.outlier_detection();
  checkDuration(c, "outlier_detection.base_ejection_time", od.base_ejection_time(), kMs, kHour,
                "between 1ms and 1h", true, p);
  checkDuration(c, "outlier_detection.max_ejection_time", od.max_ejection_time(), kMs, 24 * kHour,
                "between 1ms and 24h", true, p);
  int64_t base = toNanos(od.base_ejection_time()) > 0 ? toNanos(od.base_ejection_time()) : 30 * kSecond;
  int64_t max = toNanos(od.max_ejection_time());
  if (isValidDuration(od.max_ejection_time()) && max > 0 && max < base) {
    p->add("cluster", c.name(), "outlier_detection.max_ejection_time",
           absl::StrCat("must be at least base_ejection_time (", base / kMs, "ms)"));
  }
  if (od.max_ejection_percent() > 100) {
    p->add("cluster", c.name(), "outlier_detection.max_ejection_percent",
           absl::StrCat("must be between 0 and 100, got ", od.max_ejection_percent()));
  }
}

}  // namespace

void validateClusterHealth(const strait::v1::Cluster& cluster, Problems* problems) {
  if (cluster.has_health_check()) checkHealthCheck(cluster, problems);
  if (cluster.has_outlier_detection()) checkOutlierDetection(cluster, problems);
}

}  // namespace strait::xds::internal
