// For unit tests that wait on another thread (a writer, a checker, a server): polls `done`
// until it holds or `bound` passes. The bound only stops a hang; no test's outcome depends on
// how long the wait took.
#pragma once

#include <chrono>
#include <functional>
#include <thread>

namespace strait::testing {

inline bool eventually(const std::function<bool()>& done,
                       std::chrono::milliseconds bound = std::chrono::seconds(30)) {
  auto deadline = std::chrono::steady_clock::now() + bound;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

}  // namespace strait::testing
