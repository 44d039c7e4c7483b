// Request statistics of named routes (strait_route_* in /stats), kept by route name so that
// a route keeps its histograms and counters across generations while some generation has a
// route of that name (unnamed routes have none). The route compiler attaches them to the
// compiled route; the data path records through that pointer, never through this registry.
// THREADS: forRoute() on the config thread, all() on the admin thread; both lock.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "sidecar/core/request_stats.h"

namespace strait::proxy {

class RouteStats {
 public:
  // The statistics of routes named `name` (the same object while any holder keeps it).
  static std::shared_ptr<RequestStats> forRoute(const std::string& name);
  // Every route's statistics still held by a generation, by name (sorted).
  static std::vector<std::pair<std::string, std::shared_ptr<const RequestStats>>> all();
};

}  // namespace strait::proxy
