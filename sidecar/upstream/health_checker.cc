#include "sidecar/upstream/health_checker.h"

#include <pthread.h>

#include "absl/strings/str_cat.h"

namespace strait::proxy {
namespace {

// The checks a snapshot asks for, keyed like HealthChecker::sessions_. Endpoints listed more
// than once in a cluster share one target (one check, every entry's state written).
struct Wanted {
  const HealthCheckConfig* config;
  HealthCheckTarget target;
};

absl::flat_hash_map<std::string, Wanted> wantedChecks(const Snapshot& snapshot) {
  absl::flat_hash_map<std::string, Wanted> wanted;
  for (const auto& [name, cluster] : snapshot.clusters) {
    if (!cluster->health_check.enabled) continue;
    for (const auto& ep : cluster->endpoints) {
      auto [it, inserted] = wanted.try_emplace(absl::StrCat(name, "\n", ep.key));
      if (inserted) {
        it->second.config = &cluster->health_check;
        it->second.target = HealthCheckTarget{name, ep.address.toString(), ep.address, ep.tls, {}};
      }
      it->second.target.states.push_back(ep.state);
    }
  }
  return wanted;
}

}  // namespace

void HealthChecker::start() {
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "strait-hc");
    dispatcher_.run();
  });
}

void HealthChecker::stop() {
  if (!thread_.joinable()) return;
  dispatcher_.post([this] { sessions_.clear(); });
  dispatcher_.exit();
  thread_.join();
}

void HealthChecker::setSnapshot(SnapshotPtr snapshot) {
  dispatcher_.post([this, snapshot = std::move(snapshot)] {
    if (snapshot) reconcile(*snapshot);
  });
}

void HealthChecker::reconcile(const Snapshot& snapshot) {
  absl::flat_hash_map<std::string, std::unique_ptr<HealthCheckSession>> next;
  for (auto& [key, want] : wantedChecks(snapshot)) {
    auto it = sessions_.find(key);
    if (it != sessions_.end() && it->second->config() == *want.config) {
      it->second->update(std::move(want.target));
      next.emplace(key, std::move(it->second));
      sessions_.erase(it);
      continue;
    }
    if (it != sessions_.end()) sessions_.erase(it);  // settings changed: restart, state kept
    auto session = std::make_unique<HealthCheckSession>(dispatcher_, *want.config, std::move(want.target), stats_);
    session->start();
    next.emplace(key, std::move(session));
  }
  // Pairs no longer checked: their endpoints (if still in a cluster) count as healthy.
  for (auto& [key, session] : sessions_) {
    for (const auto& state : session->target().states) state->health_check_failed.store(false);
  }
  sessions_ = std::move(next);
}

}  // namespace strait::proxy
