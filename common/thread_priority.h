// Lowering the calling thread's CPU priority (its nice value; on Linux per thread).
// Background work that must not compete with the workers on a busy machine (building a
// generation, freeing a replaced one) calls this once at its thread's start.
// THREADS: affects only the calling thread. ERRORS: the errno text; the thread then runs at
// its old priority, which is correct, only less polite.
#pragma once

#include "absl/status/status.h"

namespace strait::common {

absl::Status lowerThreadPriority(int nice_delta);

}  // namespace strait::common
