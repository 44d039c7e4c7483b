// A cluster's outlier-detection settings, compiled from strait.v1.OutlierDetection (defaults
// applied; a threshold of 0 disables its detector). Part of the immutable ClusterInfo.
#pragma once

#include <cstdint>

#include "strait/v1/cluster.pb.h"

namespace strait::proxy {

struct OutlierConfig {
  bool enabled = false;                 // the cluster has outlier_detection
  uint32_t consecutive_5xx = 5;         // 0: detector off
  uint32_t consecutive_gateway = 5;     // 0: detector off
  uint32_t consecutive_connect = 5;     // local-origin (connect) failures; 0: detector off
  int64_t base_ejection_ms = 30000;     // first ejection; the n-th lasts n × this
  int64_t max_ejection_ms = 300000;     // cap of one ejection; also the multiplier's reset time
  uint32_t max_ejection_percent = 50;   // of the cluster's endpoints, ejected at once

  // Expects a validated cluster.
  static OutlierConfig fromProto(const strait::v1::Cluster& cluster);
};

}  // namespace strait::proxy
