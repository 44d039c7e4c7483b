#include "sidecar/server/config_publisher.h"

#include <memory>

#include "absl/time/clock.h"
#include "common/log.h"
#include "sidecar/server/snapshot_builder.h"

namespace strait::server {
namespace {

void logGenerationDetails(const proxy::Snapshot& snap, absl::Duration build_time) {
  if (!common::logEnabled(common::LogLevel::kDebug)) return;
  const strait::v1::Generation& g = snap.generation;
  common::logDebug(
      "strait-sidecar: generation %s: %d listeners, %d route configs, %d clusters, %d load assignments, "
      "%d secrets; built in %s, live %s after the build",
      snap.version, g.listeners_size(), g.route_configs_size(), g.clusters_size(), g.load_assignments_size(),
      g.secrets_size(), absl::FormatDuration(absl::Trunc(build_time, absl::Microseconds(1))),
      absl::FormatDuration(absl::Trunc(absl::Now() - snap.applied_at, absl::Microseconds(1))));
}

}  // namespace

void ConfigPublisher::apply(const std::string& version, const strait::v1::Generation& gen,
                            std::function<void(absl::Status)> done) {
  absl::Time build_start = absl::Now();
  auto built = buildSnapshot(version, gen, current().get(), options_);
  if (!built.ok()) {
    rejected_++;
    {
      absl::MutexLock lock(&mu_);
      last_error_ = std::string(built.status().message());
    }
    common::logWarning("strait-sidecar: generation %s rejected:\n%s", version, built.status().message());
    done(built.status());
    return;
  }
  (*built)->applied_at = absl::Now();
  absl::Duration build_time = (*built)->applied_at - build_start;
  proxy::SnapshotPtr snapshot = std::move(*built);
  // Each worker switches on its own thread; the last one to switch completes the apply.
  // Deliberately a counter, not mu_: the workers only need to learn which of them is last.
  auto remaining = std::make_shared<std::atomic<size_t>>(workers_.size());
  auto finish = [this, snapshot, remaining, build_time, done = std::move(done)]() {
    if (remaining->fetch_sub(1) != 1) return;
    proxy::SnapshotPtr replaced;
    {
      absl::MutexLock lock(&mu_);
      replaced = std::move(current_);
      current_ = snapshot;
      last_error_.clear();
    }
    reaper_.retire(std::move(replaced));  // this is a worker's thread: not freed here
    applied_++;
    common::logInfo("strait-sidecar: generation %s live on all workers", snapshot->version);
    logGenerationDetails(*snapshot, build_time);
    done(absl::OkStatus());
  };
  for (Worker* w : workers_) w->setSnapshot(snapshot, finish);
}

proxy::SnapshotPtr ConfigPublisher::current() const {
  absl::MutexLock lock(&mu_);
  return current_;
}

std::string ConfigPublisher::lastError() const {
  absl::MutexLock lock(&mu_);
  return last_error_;
}

}  // namespace strait::server
