// Applies generations atomically: build a Snapshot off the data path, publish it to every
// worker, and return only once every worker has switched (so an ACK means "applied", not
// "received"). A failed build publishes nothing.
//
// What a worker does at the switch is small and bounded: take the new snapshot pointer,
// update its balancers and listeners (cluster_manager, acceptors), count down. Nothing big
// is copied into or freed on a worker: the replaced generation goes to the reaper, and what
// comes after "live" (logs, the caller's follow-up such as the generation cache file) runs
// on the calling thread.
// THREADS: apply() from one thread at a time (the ADS thread; never a worker: it waits for
// them); the getters from any thread.
#pragma once

#include <atomic>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "sidecar/core/snapshot.h"
#include "sidecar/server/snapshot_builder.h"
#include "sidecar/server/snapshot_reaper.h"
#include "sidecar/server/worker.h"
#include "strait/v1/generation.pb.h"

namespace strait::server {

// The phases of the last generation that went live (zero before the first).
struct ApplyReport {
  std::string version;
  BuildReport build;            // validation, copy, compile (see BuildReport)
  absl::Duration publish;       // built -> switched on every worker
  absl::Duration worker_switch; // the longest one worker spent switching (its thread busy)
  absl::Duration total;         // apply() called (the generation received) -> live everywhere
  absl::Time live_at = absl::UnixEpoch();  // when the last worker switched
};

class ConfigPublisher {
 public:
  // `options` (mesh identity) is passed to every snapshot build.
  explicit ConfigPublisher(std::vector<Worker*> workers, BuildOptions options = {})
      : workers_(std::move(workers)), options_(options) {}

  // Builds `gen` and publishes it. Returns OK once the generation is live on every worker,
  // or at once the rejection (naming each failing resource); blocks the calling thread
  // until then (the workers must be running).
  absl::Status apply(const std::string& version, const strait::v1::Generation& gen) ABSL_LOCKS_EXCLUDED(mu_);

  proxy::SnapshotPtr current() const ABSL_LOCKS_EXCLUDED(mu_);
  // The version the live generation answers to: the one it was applied as, or a later one
  // the ADS client took as the same content (relabel). What the admin endpoints show, so
  // that they agree with the version this sidecar ACKed. "" before the first apply.
  std::string liveVersion() const ABSL_LOCKS_EXCLUDED(mu_);
  void relabel(const std::string& version) ABSL_LOCKS_EXCLUDED(mu_);
  uint64_t appliedCount() const { return applied_.load(); }
  uint64_t rejectedCount() const { return rejected_.load(); }
  std::string lastError() const ABSL_LOCKS_EXCLUDED(mu_);
  ApplyReport lastApply() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  // Posts `snapshot` to every worker and waits until all have switched; fills the publish
  // phases of `report`.
  void switchWorkers(const proxy::SnapshotPtr& snapshot, ApplyReport* report);

  std::vector<Worker*> workers_;
  const BuildOptions options_;
  mutable absl::Mutex mu_;
  proxy::SnapshotPtr current_ ABSL_GUARDED_BY(mu_);
  std::string live_version_ ABSL_GUARDED_BY(mu_);
  std::string last_error_ ABSL_GUARDED_BY(mu_);
  ApplyReport last_apply_ ABSL_GUARDED_BY(mu_);
  // Plain counters read by /stats: atomics, not mu_, since nothing needs them consistent
  // with current_.
  std::atomic<uint64_t> applied_{0};
  std::atomic<uint64_t> rejected_{0};
  SnapshotReaper reaper_;  // replaced generations are freed there, not on a worker
};

}  // namespace strait::server
