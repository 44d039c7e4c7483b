// Frees replaced generations off the workers. A generation replaced by a newer one is handed
// here and kept until nothing else holds it (streams still pinning it finish), then freed on
// this object's own thread: freeing a large generation (100k routes, thousands of clusters)
// takes milliseconds, which a worker dropping the last reference would spend in the middle
// of serving requests.
// THREADS: retire() from any thread; the reaper's thread checks every 200 ms. The
// destructor stops it and frees what it holds (at shutdown, after the workers).
#pragma once

#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "sidecar/core/snapshot.h"

namespace strait::server {

class SnapshotReaper {
 public:
  SnapshotReaper();
  ~SnapshotReaper();

  void retire(proxy::SnapshotPtr snapshot) ABSL_LOCKS_EXCLUDED(mu_);
  // Generations still waiting for their last user (tests).
  size_t held() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void run() ABSL_LOCKS_EXCLUDED(mu_);

  mutable absl::Mutex mu_;
  std::vector<proxy::SnapshotPtr> retired_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace strait::server
