// One unit of a shared in-flight counter (a cluster's pending or active requests, an
// endpoint's active requests), held for as long as the object lives: accounting that cannot
// leak or be released twice, whichever way an attempt ends.
// THREADS: any (the counter is a relaxed atomic). OWNERSHIP: the counter must outlive the
// holder (it lives in shared ClusterState/HostState that the holder's cluster pins).
#pragma once

#include <atomic>
#include <cstdint>
#include <utility>

namespace strait::proxy {

class ScopedCount {
 public:
  ScopedCount() = default;
  explicit ScopedCount(std::atomic<uint32_t>& counter) : counter_(&counter) {
    counter.fetch_add(1, std::memory_order_relaxed);
  }
  ScopedCount(ScopedCount&& other) noexcept : counter_(std::exchange(other.counter_, nullptr)) {}
  ScopedCount& operator=(ScopedCount&& other) noexcept {
    if (this != &other) {
      release();
      counter_ = std::exchange(other.counter_, nullptr);
    }
    return *this;
  }
  ScopedCount(const ScopedCount&) = delete;
  ScopedCount& operator=(const ScopedCount&) = delete;
  ~ScopedCount() { release(); }

  void release() {
    if (counter_ != nullptr) std::exchange(counter_, nullptr)->fetch_sub(1, std::memory_order_relaxed);
  }
  bool held() const { return counter_ != nullptr; }

 private:
  std::atomic<uint32_t>* counter_ = nullptr;
};

}  // namespace strait::proxy
