// Process-wide named counters of the HTTP filters (403s, 413s, 429s...), printed by the
// admin /stats endpoint. A factory gets its counters while it is built (off the data path);
// the data path only increments them (relaxed atomics, no lock).
// THREADS: counter() and render() lock a mutex; the returned Counter is valid for the life
// of the process (counters are never removed, so a scope that comes back keeps its count)
// and may be incremented from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace strait::filters {

class FilterStats {
 public:
  using Counter = std::atomic<uint64_t>;
  // The counter `name{scope="<scope>"}` (scope escaped for Prometheus), created at 0 on
  // first use; `help` is its HELP line (the first one given for a name wins).
  static Counter& counter(const std::string& name, const std::string& help, const std::string& scope);
  // With more labels after the scope (name, value pairs; values escaped). A family made with
  // labels is sparse: its counters are printed only once they are non-zero (the WAF makes
  // one per rule of the CRS, and only the ones that matched are worth a line).
  static Counter& counter(const std::string& name, const std::string& help, const std::string& scope,
                          std::initializer_list<std::pair<std::string_view, std::string_view>> labels);
  // Appends every counter in the Prometheus text format, grouped by name.
  static void render(std::string& out);
  static void inc(Counter& c) { c.fetch_add(1, std::memory_order_relaxed); }
};

}  // namespace strait::filters
