#include "sidecar/server/config_publisher.h"

#include <algorithm>
#include <memory>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/log.h"
#include "sidecar/server/snapshot_builder.h"

namespace strait::server {
namespace {

std::string ms(absl::Duration d) { return absl::FormatDuration(absl::Trunc(d, absl::Microseconds(10))); }

void logApply(const proxy::Snapshot& snap, const ApplyReport& r) {
  if (!common::logEnabled(common::LogLevel::kDebug)) return;
  const strait::v1::Generation& g = snap.generation;
  const BuildReport& b = r.build;
  common::logDebug(
      "strait-sidecar: generation %s: %d listeners, %d route configs, %d clusters, %d load assignments, "
      "%d secrets; route tables %u compiled, %u reused; clusters %u built, %u reused; live %s after it was "
      "received: validate %s, copy %s, routes %s, clusters %s, listeners %s, publish %s (longest worker "
      "switch %s)",
      snap.version, g.listeners_size(), g.route_configs_size(), g.clusters_size(), g.load_assignments_size(),
      g.secrets_size(), b.route_tables_compiled, b.route_tables_reused, b.clusters_built, b.clusters_reused,
      ms(r.total), ms(b.validate), ms(b.copy), ms(b.routes), ms(b.clusters), ms(b.listeners), ms(r.publish),
      ms(r.worker_switch));
}

// Shared by the workers switching to one snapshot: each counts down; the last one notifies.
struct Switch {
  explicit Switch(size_t workers) : remaining(workers) {}
  std::atomic<size_t> remaining;
  std::atomic<int64_t> longest_ns{0};  // the longest switch of one worker
  absl::Time done_at;                  // written by the last worker before it notifies
  absl::Notification done;
};

}  // namespace

absl::Status ConfigPublisher::apply(const std::string& version, const strait::v1::Generation& gen) {
  absl::Time received = absl::Now();
  ApplyReport report;
  report.version = version;
  auto built = buildSnapshot(version, gen, current().get(), options_, &report.build);
  if (!built.ok()) {
    rejected_++;
    {
      absl::MutexLock lock(&mu_);
      last_error_ = std::string(built.status().message());
    }
    common::logWarning("strait-sidecar: generation %s rejected:\n%s", version, built.status().message());
    return built.status();
  }
  (*built)->applied_at = absl::Now();
  proxy::SnapshotPtr snapshot = std::move(*built);
  switchWorkers(snapshot, &report);
  report.total = report.live_at - received;
  proxy::SnapshotPtr replaced;
  {
    absl::MutexLock lock(&mu_);
    replaced = std::move(current_);
    current_ = snapshot;
    live_version_ = snapshot->version;
    last_error_.clear();
    last_apply_ = report;
  }
  reaper_.retire(std::move(replaced));
  applied_++;
  common::logInfo("strait-sidecar: generation %s live on all workers", snapshot->version);
  logApply(*snapshot, report);
  return absl::OkStatus();
}

void ConfigPublisher::switchWorkers(const proxy::SnapshotPtr& snapshot, ApplyReport* report) {
  absl::Time start = absl::Now();
  auto sw = std::make_shared<Switch>(workers_.size());
  // Each worker's task holds the snapshot and this small shared state, nothing else: what
  // it frees when done is a reference count.
  for (Worker* w : workers_) {
    w->setSnapshot(snapshot, [sw](absl::Duration took) {
      int64_t ns = absl::ToInt64Nanoseconds(took);
      int64_t seen = sw->longest_ns.load(std::memory_order_relaxed);
      while (ns > seen && !sw->longest_ns.compare_exchange_weak(seen, ns, std::memory_order_relaxed)) {
      }
      if (sw->remaining.fetch_sub(1) != 1) return;
      sw->done_at = absl::Now();
      sw->done.Notify();  // orders done_at and longest_ns before the waiter's reads
    });
  }
  if (workers_.empty()) sw->done_at = absl::Now();
  else sw->done.WaitForNotification();
  report->live_at = sw->done_at;
  report->publish = sw->done_at - start;
  report->worker_switch = absl::Nanoseconds(sw->longest_ns.load(std::memory_order_relaxed));
}

std::string ConfigPublisher::liveVersion() const {
  absl::MutexLock lock(&mu_);
  return live_version_;
}

void ConfigPublisher::relabel(const std::string& version) {
  absl::MutexLock lock(&mu_);
  if (current_ != nullptr) live_version_ = version;
}

proxy::SnapshotPtr ConfigPublisher::current() const {
  absl::MutexLock lock(&mu_);
  return current_;
}

std::string ConfigPublisher::lastError() const {
  absl::MutexLock lock(&mu_);
  return last_error_;
}

ApplyReport ConfigPublisher::lastApply() const {
  absl::MutexLock lock(&mu_);
  return last_apply_;
}

}  // namespace strait::server
