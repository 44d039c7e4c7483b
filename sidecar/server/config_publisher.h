// Applies generations atomically: build a Snapshot off the data path, publish it to every
// worker, and report success only once every worker has switched (so an ACK means
// "applied", not "received"). A failed build publishes nothing.
// THREADS: apply() from one thread at a time (the ADS thread); the getters from any thread.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "sidecar/core/snapshot.h"
#include "sidecar/server/snapshot_builder.h"
#include "sidecar/server/snapshot_reaper.h"
#include "sidecar/server/worker.h"
#include "strait/v1/generation.pb.h"

namespace strait::server {

class ConfigPublisher {
 public:
  // `options` (mesh identity) is passed to every snapshot build.
  explicit ConfigPublisher(std::vector<Worker*> workers, BuildOptions options = {})
      : workers_(std::move(workers)), options_(options) {}

  // `done` runs exactly once: OK from the last worker's thread once the generation is live
  // everywhere, or the rejection (naming each failing resource) from the calling thread.
  void apply(const std::string& version, const strait::v1::Generation& gen,
             std::function<void(absl::Status)> done) ABSL_LOCKS_EXCLUDED(mu_);

  proxy::SnapshotPtr current() const ABSL_LOCKS_EXCLUDED(mu_);
  uint64_t appliedCount() const { return applied_.load(); }
  uint64_t rejectedCount() const { return rejected_.load(); }
  std::string lastError() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  std::vector<Worker*> workers_;
  const BuildOptions options_;
  mutable absl::Mutex mu_;
  proxy::SnapshotPtr current_ ABSL_GUARDED_BY(mu_);
  std::string last_error_ ABSL_GUARDED_BY(mu_);
  // Plain counters read by /stats: atomics, not mu_, since nothing needs them consistent
  // with current_.
  std::atomic<uint64_t> applied_{0};
  std::atomic<uint64_t> rejected_{0};
  SnapshotReaper reaper_;  // replaced generations are freed there, not on a worker
};

}  // namespace strait::server
