// Active health checking for the whole sidecar: one thread with its own dispatcher runs the
// checks of every endpoint of every cluster that has a health_check (see
// strait.v1.HealthCheck), whatever the number of workers. Workers never talk to it: it
// writes HostState::health_check_failed, which their load balancers read.
//
// GENERATIONS: setSnapshot() hands over each snapshot once it is live; the checker then
// reconciles the set of checked (cluster, endpoint) pairs on its own thread: a pair in both
// generations with the same settings keeps its session (schedule and counters); a new pair
// starts with a check at once (the endpoint counts as healthy until it fails
// unhealthy_threshold checks); a pair whose settings changed restarts its session (health
// state kept); a pair no longer checked stops, and its endpoint counts as healthy again.
//
// THREADS: the constructor, start(), stop() and setSnapshot() on any thread (one at a time);
// everything else on the checker's thread. stats() from any thread.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "sidecar/event/dispatcher.h"
#include "sidecar/upstream/health_check_session.h"
#include "sidecar/core/snapshot.h"

namespace strait::proxy {

class HealthChecker {
 public:
  HealthChecker() = default;
  ~HealthChecker() { stop(); }
  HealthChecker(const HealthChecker&) = delete;
  HealthChecker& operator=(const HealthChecker&) = delete;

  void start();
  // Stops every check (connections closed on the checker's thread) and joins the thread.
  void stop();
  // Any thread: reconcile the checks with `snapshot` (on the checker's thread, soon).
  void setSnapshot(SnapshotPtr snapshot);
  const HealthCheckStats& stats() const { return stats_; }

 private:
  void reconcile(const Snapshot& snapshot);

  event::Dispatcher dispatcher_;
  std::thread thread_;
  HealthCheckStats stats_;
  // "<cluster>\n<endpoint key>" -> its session. Checker's thread only.
  absl::flat_hash_map<std::string, std::unique_ptr<HealthCheckSession>> sessions_;
};

}  // namespace strait::proxy
