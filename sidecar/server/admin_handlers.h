// Content of the admin endpoint, computed from the publisher, the workers' counters and the
// ADS client. THREADS: runs on the admin thread; reads only thread-safe state (the log level
// it sets is a relaxed atomic, common/log.h).
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "sidecar/upstream/health_check_session.h"
#include "sidecar/server/admin_server.h"
#include "sidecar/server/config_publisher.h"
#include "sidecar/server/worker.h"
#include "xds/ads_client.h"

namespace strait::server {

struct AdminSources {
  const ConfigPublisher* publisher = nullptr;
  std::vector<const Worker*> workers;
  const xds::AdsClient* ads = nullptr;
  const proxy::HealthCheckStats* health_checks = nullptr;  // null: no health checker
  const std::atomic<bool>* draining = nullptr;  // the sidecar is draining (null: never)
  std::function<void()> drain;                   // starts draining (POST /drain); may be empty
  const std::atomic<bool>* stale = nullptr;      // serving the cached generation (null: never)
};

// Answers one admin request. `target` is the request target as sent ("/stats?filter=x");
// its query is parsed strictly (admin_query.h): a malformed one is answered 400. Paths:
//   GET /ready, /version, /stats[?filter=REGEX][&format=json], /clusters, /listeners,
//   /config_dump[?resource=KIND[&name=NAME]], /logging; POST /logging?level=LEVEL, /drain.
// Anything else: 404 listing the paths.
AdminResponse handleAdmin(const AdminSources& src, const std::string& method, const std::string& target);

// Exposed for tests.
std::string renderStats(const AdminSources& src);
std::string renderConfigDump(const AdminSources& src);
// Per cluster and endpoint of the live generation: health (active checks, ejection),
// ejection count, requests in flight. JSON. `now_ms`: monotonic clock (as HostState).
std::string renderClusters(const AdminSources& src, int64_t now_ms);

}  // namespace strait::server
