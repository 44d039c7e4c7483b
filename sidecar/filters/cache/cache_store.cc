#include "sidecar/filters/cache/cache_store.h"

#include <algorithm>
#include <functional>

#include "sidecar/filters/cache/cache_stats.h"

namespace strait::filters::cache {

Store::~Store() {
  for (Shard& shard : shards_) {
    absl::MutexLock lock(&shard.mu);
    while (!shard.lru.empty()) unmapLocked(shard, *shard.lru.front());
  }
}

void Store::setLimits(uint64_t max_bytes, uint64_t max_object_bytes) {
  max_bytes_.store(max_bytes);
  max_object_.store(max_object_bytes);
  evictIfNeeded();
}

Store::Shard& Store::shardOf(const std::string& primary) {
  return shards_[std::hash<std::string>()(primary) % kShards];
}

std::shared_ptr<Entry> Store::lookup(const std::string& primary, const http::HeaderMap& request, bool insert_pending,
                                     bool* inserted) {
  if (inserted != nullptr) *inserted = false;
  Shard& shard = shardOf(primary);
  absl::MutexLock lock(&shard.mu);
  auto it = shard.slots.find(primary);
  std::string key = it == shard.slots.end() ? std::string() : varyKey(it->second.vary_names, request);
  if (it != shard.slots.end()) {
    auto v = it->second.variants.find(key);
    if (v != it->second.variants.end()) {
      std::shared_ptr<Entry> entry = v->second;
      shard.lru.splice(shard.lru.begin(), shard.lru, entry->lru_pos);
      entry->last_use.store(tick_.fetch_add(1, std::memory_order_relaxed), std::memory_order_relaxed);
      return entry;
    }
  }
  if (!insert_pending) return nullptr;
  auto entry = std::make_shared<Entry>(primary, key);
  mapLocked(shard, entry, key);
  *inserted = true;
  return entry;
}

void Store::mapLocked(Shard& shard, const std::shared_ptr<Entry>& entry, const std::string& key) {
  if (auto it = shard.slots.find(entry->primary()); it != shard.slots.end()) {
    if (auto v = it->second.variants.find(key); v != it->second.variants.end()) {
      std::shared_ptr<Entry> old = v->second;
      unmapLocked(shard, *old);
    }
  }
  shard.slots[entry->primary()].variants[key] = entry;
  entry->store_secondary = key;
  entry->mapped = true;
  shard.lru.push_front(entry);
  entry->lru_pos = shard.lru.begin();
  entry->last_use.store(tick_.fetch_add(1, std::memory_order_relaxed), std::memory_order_relaxed);
  cacheStats().entries.fetch_add(1, std::memory_order_relaxed);
}

void Store::unmapLocked(Shard& shard, Entry& entry) {
  if (!entry.mapped) return;
  entry.mapped = false;
  bytes_.fetch_sub(entry.charged, std::memory_order_relaxed);
  cacheStats().bytes.fetch_sub(static_cast<int64_t>(entry.charged), std::memory_order_relaxed);
  cacheStats().entries.fetch_sub(1, std::memory_order_relaxed);
  entry.charged = 0;
  auto it = shard.slots.find(entry.primary());
  if (it != shard.slots.end()) {
    auto v = it->second.variants.find(entry.store_secondary);
    if (v != it->second.variants.end() && v->second.get() == &entry) it->second.variants.erase(v);
    if (it->second.variants.empty()) shard.slots.erase(it);
  }
  shard.lru.erase(entry.lru_pos);  // may drop the last reference: `entry` not used after
}

// Maps `entry` under `vary_key`; variants made under other vary names are dropped (the
// resource now varies differently, they would never be found again).
void Store::placeLocked(Shard& shard, const std::shared_ptr<Entry>& entry, const std::vector<std::string>& vary_names,
                        const std::string& vary_key) {
  if (auto it = shard.slots.find(entry->primary()); it != shard.slots.end() && it->second.vary_names != vary_names) {
    std::vector<std::shared_ptr<Entry>> old;
    for (const auto& [key, e] : it->second.variants) old.push_back(e);
    for (const auto& e : old) unmapLocked(shard, *e);
  }
  mapLocked(shard, entry, vary_key);
  shard.slots[entry->primary()].vary_names = vary_names;
}

bool Store::place(const std::shared_ptr<Entry>& entry, const std::vector<std::string>& vary_names,
                  const std::string& vary_key) {
  Shard& shard = shardOf(entry->primary());
  absl::MutexLock lock(&shard.mu);
  if (!entry->mapped) return false;
  uint64_t charged = entry->charged;
  unmapLocked(shard, *entry);  // `entry` (the caller's shared_ptr) keeps it alive
  placeLocked(shard, entry, vary_names, vary_key);
  entry->charged = charged;
  bytes_.fetch_add(charged, std::memory_order_relaxed);
  cacheStats().bytes.fetch_add(static_cast<int64_t>(charged), std::memory_order_relaxed);
  return true;
}

void Store::insert(const std::shared_ptr<Entry>& entry, const std::vector<std::string>& vary_names,
                   const std::string& vary_key) {
  Shard& shard = shardOf(entry->primary());
  absl::MutexLock lock(&shard.mu);
  placeLocked(shard, entry, vary_names, vary_key);
}

bool Store::replace(const std::shared_ptr<Entry>& stale, const std::shared_ptr<Entry>& entry,
                    const std::vector<std::string>& vary_names, const std::string& vary_key) {
  Shard& shard = shardOf(entry->primary());
  absl::MutexLock lock(&shard.mu);
  if (!stale->mapped) return false;
  placeLocked(shard, entry, vary_names, vary_key);
  return true;
}

bool Store::charge(const std::shared_ptr<Entry>& entry, uint64_t bytes) {
  {
    Shard& shard = shardOf(entry->primary());
    absl::MutexLock lock(&shard.mu);
    if (!entry->mapped) return false;
    if (entry->charged + bytes > max_object_.load(std::memory_order_relaxed)) {
      unmapLocked(shard, *entry);
      CacheStats::inc(cacheStats().too_large);
      return false;
    }
    entry->charged += bytes;
    bytes_.fetch_add(bytes, std::memory_order_relaxed);
    cacheStats().bytes.fetch_add(static_cast<int64_t>(bytes), std::memory_order_relaxed);
  }
  evictIfNeeded();
  return true;
}

void Store::remove(const std::shared_ptr<Entry>& entry) {
  Shard& shard = shardOf(entry->primary());
  absl::MutexLock lock(&shard.mu);
  unmapLocked(shard, *entry);
}

size_t Store::invalidate(const std::string& primary) {
  Shard& shard = shardOf(primary);
  absl::MutexLock lock(&shard.mu);
  size_t n = 0;
  for (;;) {
    auto it = shard.slots.find(primary);
    if (it == shard.slots.end() || it->second.variants.empty()) break;
    unmapLocked(shard, *it->second.variants.begin()->second);
    n++;
  }
  return n;
}

uint64_t Store::bytes() const {
  return bytes_.load(std::memory_order_relaxed) + static_cast<uint64_t>(std::max<int64_t>(0, transientBytes()));
}

void Store::adjustTransient(int64_t delta) {
  if (delta == 0) return;
  transient_.fetch_add(delta, std::memory_order_relaxed);
  cacheStats().transient_bytes.fetch_add(delta, std::memory_order_relaxed);
  if (delta > 0) evictIfNeeded();
}

void Store::evictIfNeeded() {
  while (bytes() > max_bytes_.load(std::memory_order_relaxed)) {
    if (!evictOne()) return;
  }
}

// Finds the shard whose LRU tail was used least recently, then evicts that tail if it is
// still the tail (another thread may have used or evicted it meanwhile: then try again).
bool Store::evictOne() {
  for (int attempt = 0; attempt < 4; attempt++) {
    Shard* oldest = nullptr;
    const Entry* victim = nullptr;
    uint64_t oldest_use = UINT64_MAX;
    for (Shard& shard : shards_) {
      absl::MutexLock lock(&shard.mu);
      if (shard.lru.empty()) continue;
      const Entry* tail = shard.lru.back().get();
      uint64_t use = tail->last_use.load(std::memory_order_relaxed);
      if (use < oldest_use) oldest_use = use, oldest = &shard, victim = tail;
    }
    if (oldest == nullptr) return false;
    absl::MutexLock lock(&oldest->mu);
    if (oldest->lru.empty() || oldest->lru.back().get() != victim) continue;
    unmapLocked(*oldest, *oldest->lru.back());
    CacheStats::inc(cacheStats().evictions);
    return true;
  }
  return true;  // lost races only: the caller re-checks the total
}

}  // namespace strait::filters::cache
