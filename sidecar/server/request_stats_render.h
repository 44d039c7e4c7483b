// /stats: the request statistics of the live generation's clusters and of every named route
// (sidecar/core/request_stats.h) in Prometheus text: strait_cluster_rq_total{cluster,class},
// strait_cluster_rq_flag_total{cluster,flag} (flags seen only), the histograms
// strait_cluster_rq_duration_seconds and strait_cluster_upstream_time_seconds{cluster}, and
// the same three per route (strait_route_*{route}).
// THREADS: the admin thread.
#pragma once

#include <string>

#include "sidecar/core/snapshot.h"

namespace strait::server {

void renderRequestStats(const proxy::Snapshot& snap, std::string* out);

}  // namespace strait::server
