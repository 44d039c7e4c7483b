#include "sidecar/filters/cache/cache_stats.h"

#include "absl/strings/str_cat.h"

namespace strait::filters::cache {

CacheStats& cacheStats() {
  static CacheStats* const stats = new CacheStats();  // never destroyed: workers may outlive main's locals
  return *stats;
}

void appendCacheStats(std::string* out) {
  const CacheStats& s = cacheStats();
  auto line = [out](const char* name, const char* help, const char* type, auto value) {
    absl::StrAppend(out, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n", name, " ", value, "\n");
  };
  line("strait_cache_hits_total", "Requests answered from the HTTP cache.", "counter", s.hits.load());
  line("strait_cache_misses_total", "Cacheable requests sent upstream.", "counter", s.misses.load());
  line("strait_cache_revalidations_total", "Stale objects confirmed by an upstream 304.", "counter",
       s.revalidations.load());
  line("strait_cache_background_revalidations_total",
       "Background requests refreshing a stale object (stale-while-revalidate).", "counter",
       s.background_revalidations.load());
  line("strait_cache_stale_served_total", "Stale objects served (stale-if-error, stale-while-revalidate).",
       "counter", s.stale_served.load());
  line("strait_cache_collapsed_total", "Requests collapsed onto another request's upstream fetch.", "counter",
       s.collapsed.load());
  line("strait_cache_evictions_total", "Objects evicted by the byte limit.", "counter", s.evictions.load());
  line("strait_cache_too_large_total", "Objects dropped for exceeding max_object_bytes.", "counter",
       s.too_large.load());
  line("strait_cache_invalidations_total", "Objects removed by an unsafe request to their URL.", "counter",
       s.invalidations.load());
  line("strait_cache_bytes", "Bytes stored in the HTTP cache.", "gauge", s.bytes.load());
  line("strait_cache_transient_bytes",
       "Bytes held for readers streaming an object that is not stored (counted against max_bytes).", "gauge",
       s.transient_bytes.load());
  line("strait_cache_entries", "Objects stored in the HTTP cache.", "gauge", s.entries.load());
}

}  // namespace strait::filters::cache
