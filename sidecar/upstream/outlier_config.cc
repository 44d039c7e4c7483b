#include "sidecar/upstream/outlier_config.h"

#include <algorithm>

namespace strait::proxy {
namespace {
int64_t durationMs(const google::protobuf::Duration& d) { return d.seconds() * 1000 + d.nanos() / 1000000; }
}  // namespace

OutlierConfig OutlierConfig::fromProto(const strait::v1::Cluster& cluster) {
  OutlierConfig c;
  if (!cluster.has_outlier_detection()) return c;
  const auto& od = cluster.outlier_detection();
  c.enabled = true;
  if (od.has_consecutive_5xx()) c.consecutive_5xx = od.consecutive_5xx();
  if (od.has_consecutive_gateway_failure()) c.consecutive_gateway = od.consecutive_gateway_failure();
  if (od.has_consecutive_local_origin_failure()) c.consecutive_connect = od.consecutive_local_origin_failure();
  if (durationMs(od.base_ejection_time()) > 0) c.base_ejection_ms = durationMs(od.base_ejection_time());
  c.max_ejection_ms = std::max<int64_t>(c.max_ejection_ms, c.base_ejection_ms);
  if (durationMs(od.max_ejection_time()) > 0) {
    c.max_ejection_ms = std::max(durationMs(od.max_ejection_time()), c.base_ejection_ms);
  }
  if (od.has_max_ejection_percent()) c.max_ejection_percent = std::min(100u, od.max_ejection_percent());
  return c;
}

}  // namespace strait::proxy
