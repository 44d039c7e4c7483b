// Abseil's lock-order check in release builds. Debian's Abseil records every absl::Mutex
// acquired while another is held in a global graph (GraphCycles), gRPC's own mutexes
// included: 12% of strait-control's CPU while 5,000 streams connect, a third of a gRPC client
// opening 5,000 channels. Release binaries (NDEBUG) call this first thing in main(); debug and
// sanitizer builds (the test suite's second run) keep the check, so a lock-order inversion
// still aborts there.
// THREADS: call before any other thread starts.
#pragma once

#include "absl/synchronization/mutex.h"

namespace strait::common {

inline void releaseBuildMutexChecks() {
#ifdef NDEBUG
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
#endif
}

}  // namespace strait::common
