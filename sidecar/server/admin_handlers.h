// Content of the admin endpoint, computed from the publisher, the workers' counters and the
// ADS client. THREADS: runs on the admin thread; reads only thread-safe state.
#pragma once

#include <string>
#include <vector>

#include "sidecar/server/admin_server.h"
#include "sidecar/server/config_publisher.h"
#include "sidecar/server/worker.h"
#include "xds/ads_client.h"

namespace strait::server {

struct AdminSources {
  const ConfigPublisher* publisher = nullptr;
  std::vector<const Worker*> workers;
  const xds::AdsClient* ads = nullptr;
};

AdminResponse handleAdmin(const AdminSources& src, const std::string& method, const std::string& path);

// Exposed for tests.
std::string renderStats(const AdminSources& src);
std::string renderConfigDump(const AdminSources& src);

}  // namespace strait::server
