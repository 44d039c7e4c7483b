// Rollout latency tracking (see push_tracker.h).
#include "control/push_tracker.h"

#include "control/sidecar_registry.h"

namespace strait::control {
namespace {

// Seconds: a loopback rollout takes milliseconds, a large mesh or a slow sidecar seconds.
std::vector<double> latencyBounds() {
  return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
}

bool reached(const std::string& acked, const std::string& version) {
  return !acked.empty() && (acked == version || versionNewer(acked, version));
}

}  // namespace

PushTracker::PushTracker() : latencies_(latencyBounds()) {}

void PushTracker::published(const std::string& version, absl::Time now) {
  absl::MutexLock lock(&mu_);
  if (!last_published_.empty() && !versionNewer(version, last_published_)) return;
  last_published_ = version;
  Rollout r{version, now, {}, false};
  for (const auto& [token, acked] : sidecars_) {
    if (!reached(acked, version)) r.waiting.insert(token);
  }
  if (r.waiting.empty()) return;  // nobody to push to (or all already there)
  pending_.push_back(std::move(r));
  while (pending_.size() > kMaxPending) {
    pending_.pop_front();
    ++abandoned_;
  }
}

void PushTracker::connected(uint64_t token) {
  absl::MutexLock lock(&mu_);
  sidecars_.emplace(token, "");
}

void PushTracker::acked(uint64_t token, const std::string& version, absl::Time now) {
  absl::MutexLock lock(&mu_);
  auto it = sidecars_.find(token);
  if (it == sidecars_.end()) return;
  it->second = version;
  for (Rollout& r : pending_) {
    if (reached(version, r.version) && r.waiting.erase(token) > 0) r.any_acked = true;
  }
  completeFinished(now);
}

void PushTracker::disconnected(uint64_t token, absl::Time now) {
  absl::MutexLock lock(&mu_);
  sidecars_.erase(token);
  for (Rollout& r : pending_) r.waiting.erase(token);
  completeFinished(now);
}

void PushTracker::completeFinished(absl::Time now) {
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (!it->waiting.empty()) {
      ++it;
      continue;
    }
    if (it->any_acked) {
      latencies_.observe(absl::ToDoubleSeconds(now - it->start));
    } else {
      ++abandoned_;
    }
    it = pending_.erase(it);
  }
}

Histogram PushTracker::latencies() const {
  absl::MutexLock lock(&mu_);
  return latencies_;
}

size_t PushTracker::pending() const {
  absl::MutexLock lock(&mu_);
  return pending_.size();
}

uint64_t PushTracker::abandoned() const {
  absl::MutexLock lock(&mu_);
  return abandoned_;
}

}  // namespace strait::control
