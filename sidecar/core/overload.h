// Process-wide overload state (Envoy's overload manager): a monitor thread samples the
// resources every refresh interval and sets, per resource, whether it is above its high
// watermark (and clears it once below the low one). Workers only read the result, one
// relaxed atomic load per accepted connection and per request; they never compute it.
// What each resource refuses while it is over:
//   memory: new connections and new requests; connections: new connections;
//   requests: new requests.
// THREADS: the state is written by the monitor thread (OverloadMonitor), read by any.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

namespace strait::proxy {

class OverloadState {
 public:
  enum Resource : int { kMemory = 0, kConnections = 1, kRequests = 2, kResourceCount = 3 };
  static const char* resourceName(Resource r);

  // The one state of this process.
  static OverloadState& global();

  bool refuseConnections() const {
    return (bits_.load(std::memory_order_relaxed) & ((1u << kMemory) | (1u << kConnections))) != 0;
  }
  bool refuseRequests() const {
    return (bits_.load(std::memory_order_relaxed) & ((1u << kMemory) | (1u << kRequests))) != 0;
  }
  bool over(Resource r) const { return (bits_.load(std::memory_order_relaxed) & (1u << r)) != 0; }
  // The monitor: is `r` configured, its last sample, and whether it is over.
  void set(Resource r, bool over, uint64_t value);
  void setConfigured(Resource r) { configured_.fetch_or(1u << r, std::memory_order_relaxed); }
  bool configured(Resource r) const { return (configured_.load(std::memory_order_relaxed) & (1u << r)) != 0; }
  uint64_t value(Resource r) const { return values_[r].load(std::memory_order_relaxed); }
  // Resources over their watermark, comma-separated ("" if none): for /ready's body.
  std::string overNames() const;

  void countRefusedConnection() { refused_connections_.fetch_add(1, std::memory_order_relaxed); }
  void countRefusedRequest() { refused_requests_.fetch_add(1, std::memory_order_relaxed); }
  uint64_t refusedConnections() const { return refused_connections_.load(std::memory_order_relaxed); }
  uint64_t refusedRequests() const { return refused_requests_.load(std::memory_order_relaxed); }
  // Appends the strait_overload_* families to a /stats body (nothing if unconfigured).
  void render(std::string* out) const;

 private:
  std::atomic<uint32_t> bits_{0};
  std::atomic<uint32_t> configured_{0};
  std::atomic<uint64_t> values_[kResourceCount] = {};
  std::atomic<uint64_t> refused_connections_{0};
  std::atomic<uint64_t> refused_requests_{0};
};

}  // namespace strait::proxy
