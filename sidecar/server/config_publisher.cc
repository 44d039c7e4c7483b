#include "sidecar/server/config_publisher.h"

#include <cstdio>
#include <memory>

#include "absl/time/clock.h"
#include "sidecar/server/snapshot_builder.h"

namespace strait::server {

void ConfigPublisher::apply(const std::string& version, const strait::v1::Generation& gen,
                            std::function<void(absl::Status)> done) {
  auto built = buildSnapshot(version, gen, current().get(), options_);
  if (!built.ok()) {
    rejected_++;
    {
      absl::MutexLock lock(&mu_);
      last_error_ = std::string(built.status().message());
    }
    fprintf(stderr, "strait-sidecar: generation %s rejected:\n%s\n", version.c_str(),
            std::string(built.status().message()).c_str());
    done(built.status());
    return;
  }
  (*built)->applied_at = absl::Now();
  proxy::SnapshotPtr snapshot = std::move(*built);
  // Each worker switches on its own thread; the last one to switch completes the apply.
  // Deliberately a counter, not mu_: the workers only need to learn which of them is last.
  auto remaining = std::make_shared<std::atomic<size_t>>(workers_.size());
  auto finish = [this, snapshot, remaining, done = std::move(done)]() {
    if (remaining->fetch_sub(1) != 1) return;
    {
      absl::MutexLock lock(&mu_);
      current_ = snapshot;
      last_error_.clear();
    }
    applied_++;
    fprintf(stderr, "strait-sidecar: generation %s live on all workers\n", snapshot->version.c_str());
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
