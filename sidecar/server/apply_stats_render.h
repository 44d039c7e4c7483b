// /stats: the phases of the last generation that went live (config_publisher.h ApplyReport),
// as gauges, so a benchmark or an operator can see where an apply's time went:
//   strait_config_apply_last_{validate,build,publish,total}_seconds, ..._worker_switch_seconds,
//   strait_config_apply_last_live_timestamp_seconds (Unix time of the switch of the last worker),
//   strait_config_apply_last_route_tables{result="compiled|reused"},
//   strait_config_apply_last_clusters{result="built|reused"}.
// Nothing is written before the first generation is live.
// THREADS: any (renders a copy).
#pragma once

#include <string>

#include "sidecar/server/config_publisher.h"

namespace strait::server {

void renderApplyStats(const ApplyReport& report, std::string* out);

}  // namespace strait::server
