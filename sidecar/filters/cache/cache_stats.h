// Process-wide cache counters (all cache filters of the sidecar together), printed by the
// admin /stats page. THREADS: any (relaxed atomics).
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

namespace strait::filters::cache {

struct CacheStats {
  std::atomic<uint64_t> hits{0};           // served from a stored object (fresh, or being filled)
  std::atomic<uint64_t> misses{0};         // cacheable request that went upstream
  std::atomic<uint64_t> revalidations{0};  // stale object confirmed by an upstream 304
  std::atomic<uint64_t> background_revalidations{0};  // stale-while-revalidate refreshes sent
  std::atomic<uint64_t> stale_served{0};   // stale-if-error / stale-while-revalidate answers
  std::atomic<uint64_t> collapsed{0};      // requests that waited for another's upstream request
  std::atomic<uint64_t> evictions{0};      // objects evicted by the byte limit
  std::atomic<uint64_t> too_large{0};      // objects dropped for max_object_bytes
  std::atomic<uint64_t> invalidations{0};  // objects removed by an unsafe method
  std::atomic<int64_t> bytes{0};           // bytes stored now (gauge)
  std::atomic<int64_t> entries{0};         // objects stored now (gauge)
  std::atomic<int64_t> transient_bytes{0}; // bytes held for readers of unstored objects (gauge)

  static void inc(std::atomic<uint64_t>& c) { c.fetch_add(1, std::memory_order_relaxed); }
};

CacheStats& cacheStats();
// Prometheus text for the counters above, appended to `out`.
void appendCacheStats(std::string* out);

}  // namespace strait::filters::cache
