// Push latency: for each version the control plane publishes, the time from the moment it
// became current until every sidecar connected at that moment has ACKed it or a newer one
// ("config change -> all ACKed"). Completed rollouts go into a Prometheus histogram.
//
// Sidecars are identified by their stream's registry token (SidecarRegistry::connected), so
// a reconnect is a new sidecar: the old stream leaving no longer holds a rollout back.
// A sidecar that disconnects stops holding a rollout back; one that NACKs holds it until it
// ACKs a newer version. No observation (nothing was pushed, or nobody took it): no sidecar
// connected at publication; every waiting sidecar disconnected without ACKing (abandoned);
// more than kMaxPending rollouts open at once (the oldest is abandoned).
//
// THREADS: every method from any thread (one absl::Mutex). Time is passed in by the caller
// (tests inject it). Versions are ordered with versionNewer (sidecar_registry.h).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "control/prometheus_text.h"

namespace strait::control {

class PushTracker {
 public:
  static constexpr size_t kMaxPending = 64;

  PushTracker();

  // `version` became current at `now`. A version not newer than the last one published is
  // ignored (two listeners of quick successive versions may both see the latest).
  void published(const std::string& version, absl::Time now) ABSL_LOCKS_EXCLUDED(mu_);
  void connected(uint64_t token) ABSL_LOCKS_EXCLUDED(mu_);
  void acked(uint64_t token, const std::string& version, absl::Time now) ABSL_LOCKS_EXCLUDED(mu_);
  void disconnected(uint64_t token, absl::Time now) ABSL_LOCKS_EXCLUDED(mu_);

  // A copy of the latency histogram (seconds).
  Histogram latencies() const ABSL_LOCKS_EXCLUDED(mu_);
  size_t pending() const ABSL_LOCKS_EXCLUDED(mu_);
  uint64_t abandoned() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Rollout {
    std::string version;
    absl::Time start;
    std::set<uint64_t> waiting;  // tokens of the sidecars that have not reached `version`
    bool any_acked = false;      // some sidecar ACKed it (or newer) since publication
  };
  // Observes and removes every rollout nobody waits for any more.
  void completeFinished(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  std::map<uint64_t, std::string> sidecars_ ABSL_GUARDED_BY(mu_);  // token -> last ACKed ("" none)
  std::deque<Rollout> pending_ ABSL_GUARDED_BY(mu_);                // oldest first
  std::string last_published_ ABSL_GUARDED_BY(mu_);
  Histogram latencies_ ABSL_GUARDED_BY(mu_);
  uint64_t abandoned_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace strait::control
