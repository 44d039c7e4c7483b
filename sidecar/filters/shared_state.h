// State that filters keep across generations (token buckets, cache storage), by key.
// A factory built for a new generation asks for its state by a stable key (filter kind and
// scope, e.g. "local_rate_limit/<route config>/<vhost>/<route>") and gets the previous
// generation's object while one is alive, so an update keeps counters and cached objects.
// THREADS: getOrCreate is called while snapshots are built (ADS thread) and is locked; the
// returned objects are shared by workers and must be thread-safe themselves.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "absl/container/flat_hash_map.h"

namespace strait::filters {

class SharedState {
 public:
  template <typename T>
  std::shared_ptr<T> getOrCreate(const std::string& key, const std::function<std::shared_ptr<T>()>& make) {
    std::lock_guard<std::mutex> lock(mu_);
    auto& slot = objects_[key];
    if (auto existing = slot.lock()) return std::static_pointer_cast<T>(existing);
    std::shared_ptr<T> made = make();
    slot = made;
    return made;
  }

 private:
  std::mutex mu_;
  absl::flat_hash_map<std::string, std::weak_ptr<void>> objects_;
};

}  // namespace strait::filters
