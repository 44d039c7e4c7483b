// What the simulated sidecars of strait-fleet-sim saw: bytes and responses received (whole
// generations against deltas), who received and ACKed each version when, and the progress of
// one push at a time (every measured stream moved to another version and ACKed it).
// Streams 0..sidecars-1 are the measured sidecars; churn workloads report with index -1 and
// count only in churnTraffic() and endpointChanges().
// THREADS: every method from any thread (gRPC's callback threads report, the main thread
// waits and reads); one mutex, held for a few map operations per response.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <grpcpp/support/status.h>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace strait::bench {

using Clock = std::chrono::steady_clock;

// Seconds from `from` to `to`.
inline double secondsBetween(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

// Responses and their bytes (ByteSizeLong of the response), by kind.
struct Traffic {
  uint64_t full_bytes = 0;        // responses carrying a whole generation
  uint64_t delta_bytes = 0;       // responses carrying a GenerationDelta
  uint64_t full_responses = 0;
  uint64_t delta_responses = 0;
  uint64_t withdrawn_responses = 0;  // endpoint_withdrawn answers (not ACKed)

  Traffic operator-(const Traffic& o) const {
    return {full_bytes - o.full_bytes, delta_bytes - o.delta_bytes, full_responses - o.full_responses,
            delta_responses - o.delta_responses, withdrawn_responses - o.withdrawn_responses};
  }
};

// One version as the measured sidecars saw it; times in seconds since the run started.
struct VersionSeen {
  std::string version;
  int received = 0;             // measured streams that received it
  int acked = 0;                // ... and wrote its ACK
  double first_received = -1;
  double last_received = -1;
  double last_acked = -1;
};

// One push (beginPush .. waitPush); times in seconds since beginPush.
struct PushResult {
  int streams = 0;            // measured streams connected at beginPush
  int moved = 0;              // of those, received and ACKed another version
  int ended = 0;              // of those, ended before
  double all_received = -1;   // the last of them received another version
  double all_acked = -1;      // the last of them wrote the ACK of another version
};

class FleetStats {
 public:
  FleetStats(int sidecars, Clock::time_point start);

  // A response with a version (full or delta) arrived on stream `i`.
  void received(int i, const std::string& version, size_t bytes, bool delta) ABSL_LOCKS_EXCLUDED(mu_);
  // An endpoint_withdrawn answer arrived.
  void withdrawn(int i, size_t bytes) ABSL_LOCKS_EXCLUDED(mu_);
  // The ACK of `version` was written on stream `i`.
  void acked(int i, const std::string& version) ABSL_LOCKS_EXCLUDED(mu_);
  // Stream `i` ended (gRPC's OnDone) with `status` (OK also when the simulator cancelled it).
  void ended(int i, const grpc::Status& status) ABSL_LOCKS_EXCLUDED(mu_);
  // A churn workload became an endpoint (its first ACK was written) or reported draining.
  void endpointChanged() ABSL_LOCKS_EXCLUDED(mu_);

  // Waits until every measured stream ACKed its first response or ended (or `deadline`);
  // returns the number connected.
  int waitConnected(Clock::time_point deadline) ABSL_LOCKS_EXCLUDED(mu_);
  double lastFirstResponse() const ABSL_LOCKS_EXCLUDED(mu_);  // seconds since start
  double lastFirstAck() const ABSL_LOCKS_EXCLUDED(mu_);
  int failed() const ABSL_LOCKS_EXCLUDED(mu_);  // measured streams that ended with an error
  // Errors of every stream that failed (measured or churn): "<code>: <message>" -> count.
  std::map<std::string, int> errors() const ABSL_LOCKS_EXCLUDED(mu_);
  // Waits until every stream reported (measured and churn) ended or `deadline`.
  bool waitAllEnded(int total_streams, Clock::time_point deadline) ABSL_LOCKS_EXCLUDED(mu_);

  void beginPush() ABSL_LOCKS_EXCLUDED(mu_);
  PushResult waitPush(Clock::time_point deadline) ABSL_LOCKS_EXCLUDED(mu_);

  Traffic sidecarTraffic() const ABSL_LOCKS_EXCLUDED(mu_);
  Traffic churnTraffic() const ABSL_LOCKS_EXCLUDED(mu_);
  uint64_t endpointChanges() const ABSL_LOCKS_EXCLUDED(mu_);
  std::vector<VersionSeen> versions() const ABSL_LOCKS_EXCLUDED(mu_);  // in order of first receipt

 private:
  struct Sidecar {
    std::string received_version;  // last received
    std::string acked_version;     // last ACK written
    bool connected = false;        // first ACK written
    bool ended = false;
    bool in_push = false;          // connected at beginPush and not yet moved
    bool push_received = false;    // received another version than push_base
    std::string push_base;         // acked_version at beginPush
  };
  double now() const { return secondsBetween(start_, Clock::now()); }
  bool connectDone() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return connected_ + failed_before_connect_ >= static_cast<int>(sidecars_.size());
  }
  bool pushDone() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return push_.moved + push_.ended >= push_.streams; }
  VersionSeen& version(const std::string& v) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void pushEnded(Sidecar* s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Clock::time_point start_;
  mutable absl::Mutex mu_;
  std::vector<Sidecar> sidecars_ ABSL_GUARDED_BY(mu_);
  int connected_ ABSL_GUARDED_BY(mu_) = 0;
  int failed_before_connect_ ABSL_GUARDED_BY(mu_) = 0;
  int failed_ ABSL_GUARDED_BY(mu_) = 0;
  int ended_total_ ABSL_GUARDED_BY(mu_) = 0;  // measured and churn streams
  std::map<std::string, int> errors_ ABSL_GUARDED_BY(mu_);
  double last_first_response_ ABSL_GUARDED_BY(mu_) = -1;
  double last_first_ack_ ABSL_GUARDED_BY(mu_) = -1;
  Traffic sidecar_traffic_ ABSL_GUARDED_BY(mu_);
  Traffic churn_traffic_ ABSL_GUARDED_BY(mu_);
  uint64_t endpoint_changes_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, VersionSeen> versions_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> version_order_ ABSL_GUARDED_BY(mu_);
  Clock::time_point push_start_ ABSL_GUARDED_BY(mu_);
  PushResult push_ ABSL_GUARDED_BY(mu_);
};

}  // namespace strait::bench
