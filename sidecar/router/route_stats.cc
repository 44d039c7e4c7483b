#include "sidecar/router/route_stats.h"

#include <map>

#include "absl/synchronization/mutex.h"

namespace strait::proxy {
namespace {

struct Registry {
  absl::Mutex mu;
  std::map<std::string, std::weak_ptr<RequestStats>> routes ABSL_GUARDED_BY(mu);
};

Registry& registry() {
  static Registry* r = new Registry();  // never destroyed: generations may outlive statics
  return *r;
}

}  // namespace

std::shared_ptr<RequestStats> RouteStats::forRoute(const std::string& name) {
  Registry& r = registry();
  absl::MutexLock lock(&r.mu);
  std::weak_ptr<RequestStats>& slot = r.routes[name];
  if (auto live = slot.lock()) return live;
  auto stats = std::make_shared<RequestStats>();
  slot = stats;
  return stats;
}

std::vector<std::pair<std::string, std::shared_ptr<const RequestStats>>> RouteStats::all() {
  std::vector<std::pair<std::string, std::shared_ptr<const RequestStats>>> out;
  Registry& r = registry();
  absl::MutexLock lock(&r.mu);
  for (auto it = r.routes.begin(); it != r.routes.end();) {
    if (auto live = it->second.lock()) {
      out.emplace_back(it->first, std::move(live));
      ++it;
    } else {
      it = r.routes.erase(it);
    }
  }
  return out;
}

}  // namespace strait::proxy
