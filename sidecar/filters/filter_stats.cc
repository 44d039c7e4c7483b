#include "sidecar/filters/filter_stats.h"

#include <map>
#include <memory>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "sidecar/core/prometheus.h"

namespace strait::filters {
namespace {

struct Family {
  std::string help;
  std::map<std::string, std::unique_ptr<FilterStats::Counter>> by_scope;  // node-stable
};

struct Registry {
  std::mutex mu;
  std::map<std::string, Family> families;  // by name: the output is sorted and grouped
};

Registry& registry() {
  static Registry* const r = new Registry();  // never destroyed: counters outlive workers
  return *r;
}

}  // namespace

FilterStats::Counter& FilterStats::counter(const std::string& name, const std::string& help,
                                           const std::string& scope) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  Family& f = r.families[name];
  if (f.help.empty()) f.help = help;
  auto& slot = f.by_scope[scope];
  if (!slot) slot = std::make_unique<Counter>(0);
  return *slot;
}

void FilterStats::render(std::string& out) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  for (const auto& [name, f] : r.families) {
    absl::StrAppend(&out, "# HELP ", name, " ", f.help, "\n# TYPE ", name, " counter\n");
    for (const auto& [scope, c] : f.by_scope) {
      absl::StrAppend(&out, name, "{scope=\"", core::escapeLabelValue(scope), "\"} ", c->load(std::memory_order_relaxed), "\n");
    }
  }
}

}  // namespace strait::filters
