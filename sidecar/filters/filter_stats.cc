#include "sidecar/filters/filter_stats.h"

#include <map>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "sidecar/core/prometheus.h"

namespace strait::filters {
namespace {

struct Family {
  std::string help;
  bool sparse = false;  // print only non-zero counters
  // By rendered label set (`scope="...",rule="..."`): node-stable, sorted.
  std::map<std::string, std::unique_ptr<FilterStats::Counter>> by_labels;
};

struct Registry {
  absl::Mutex mu;
  std::map<std::string, Family> families ABSL_GUARDED_BY(mu);  // by name: sorted and grouped output
};

Registry& registry() {
  static Registry* const r = new Registry();  // never destroyed: counters outlive workers
  return *r;
}

}  // namespace

FilterStats::Counter& FilterStats::counter(const std::string& name, const std::string& help,
                                           const std::string& scope) {
  return counter(name, help, scope, {});
}

FilterStats::Counter& FilterStats::counter(const std::string& name, const std::string& help, const std::string& scope,
                                           std::initializer_list<std::pair<std::string_view, std::string_view>> labels) {
  std::string key = absl::StrCat("scope=\"", core::escapeLabelValue(scope), "\"");
  for (const auto& [label, value] : labels) {
    absl::StrAppend(&key, ",", std::string(label), "=\"", core::escapeLabelValue(value), "\"");
  }
  Registry& r = registry();
  absl::MutexLock lock(&r.mu);
  Family& f = r.families[name];
  if (f.help.empty()) f.help = help;
  if (labels.size() > 0) f.sparse = true;
  auto& slot = f.by_labels[key];
  if (!slot) slot = std::make_unique<Counter>(0);
  return *slot;
}

void FilterStats::render(std::string& out) {
  Registry& r = registry();
  absl::MutexLock lock(&r.mu);
  for (const auto& [name, f] : r.families) {
    absl::StrAppend(&out, "# HELP ", name, " ", f.help, "\n# TYPE ", name, " counter\n");
    for (const auto& [labels, c] : f.by_labels) {
      uint64_t v = c->load(std::memory_order_relaxed);
      if (f.sparse && v == 0) continue;
      absl::StrAppend(&out, name, "{", labels, "} ", v, "\n");
    }
  }
}

}  // namespace strait::filters
