// The overload manager's sampling thread (see OverloadManager in bootstrap.proto): every
// refresh interval it reads memory, downstream connections and active requests, applies each
// resource's watermarks with hysteresis and publishes the result in OverloadState::global().
// THREADS: constructed, started and stopped on the main thread; samples on its own thread
// (the counters it reads are the workers' relaxed atomics). ERRORS: a bad configuration is
// refused by validateOverload() before the monitor is made.
#pragma once

#include <cstdint>
#include <functional>
#include <thread>

#include "absl/status/status.h"
#include "absl/synchronization/notification.h"
#include "sidecar/core/overload.h"
#include "strait/v1/bootstrap.pb.h"

namespace strait::server {

// The next over/not-over state of a resource: over at or above `high`, back below `low`.
bool nextOverloadState(bool over, uint64_t value, uint64_t high, uint64_t low);

// Bytes of memory the process holds: jemalloc's stats.allocated when jemalloc is linked,
// else the resident set size.
uint64_t sampleMemoryBytes();

absl::Status validateOverload(const strait::v1::OverloadManager& config);

class OverloadMonitor {
 public:
  struct Sources {
    std::function<uint64_t()> connections;
    std::function<uint64_t()> requests;
  };
  OverloadMonitor(const strait::v1::OverloadManager& config, Sources sources,
                  proxy::OverloadState& state = proxy::OverloadState::global());
  ~OverloadMonitor();

  void start();
  void stop();
  // One sample of every resource (the thread's body; tests call it directly).
  void sampleOnce();

 private:
  struct Bound {
    uint64_t high = 0;
    uint64_t low = 0;
  };
  strait::v1::OverloadManager config_;
  Sources sources_;
  proxy::OverloadState& state_;
  Bound bounds_[proxy::OverloadState::kResourceCount];
  int64_t refresh_ms_ = 100;
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace strait::server
