#include "sidecar/server/snapshot_reaper.h"

#include "absl/time/time.h"
#include "common/thread_priority.h"

namespace strait::server {

SnapshotReaper::SnapshotReaper() : thread_([this] { run(); }) {}

SnapshotReaper::~SnapshotReaper() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

void SnapshotReaper::retire(proxy::SnapshotPtr snapshot) {
  if (snapshot == nullptr) return;
  absl::MutexLock lock(&mu_);
  retired_.push_back(std::move(snapshot));
}

size_t SnapshotReaper::held() const {
  absl::MutexLock lock(&mu_);
  return retired_.size();
}

void SnapshotReaper::run() {
  (void)common::lowerThreadPriority(10);  // frees yield to the workers; at worst it runs as before
  for (;;) {
    std::vector<proxy::SnapshotPtr> unused;
    bool stop = false;
    {
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithTimeout(absl::Condition(&stopping_), absl::Milliseconds(200));
      stop = stopping_;
      // Only this list holds them: nobody can take a new reference (no weak pointers), so a
      // count of one stays one.
      for (auto it = retired_.begin(); it != retired_.end();) {
        if (stop || it->use_count() == 1) {
          unused.push_back(std::move(*it));
          it = retired_.erase(it);
        } else {
          ++it;
        }
      }
    }
    unused.clear();  // freed here, outside the lock
    if (stop) return;
  }
}

}  // namespace strait::server
