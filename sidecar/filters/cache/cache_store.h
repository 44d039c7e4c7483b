// The objects of one cache scope, shared by all workers of the sidecar (kept across
// generations in filters::SharedState).
//
// LOCKING: kShards shards, each a mutex over a map (primary key -> vary names and variants)
// and an LRU list. A lookup locks one shard only for the map probe and the LRU splice, and
// returns a shared_ptr<Entry>; body bytes are read afterwards from immutable chunks. There is
// no global lock: the byte total is an atomic, and eviction (store path only) takes the
// oldest of the shards' LRU tails (by a global use tick) one shard lock at a time: global
// LRU order without holding two locks.
// BYTES: the stored objects' bytes (heads and bodies) plus the transient bytes (chunks kept
// for the readers of objects not stored, see cache_entry.h) are counted together against
// max_bytes; a new charge of either kind evicts least recently used objects. Transient bytes
// cannot be evicted (readers are streaming them), so the total can exceed max_bytes only by
// what transient entries hold, at most max(max_object_bytes, 4 MiB) (plus one chunk) each.
// THREADS: any.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "sidecar/filters/cache/cache_entry.h"

namespace strait::filters::cache {

class Store {
 public:
  static constexpr size_t kShards = 16;
  Store() = default;
  ~Store();

  void setLimits(uint64_t max_bytes, uint64_t max_object_bytes);
  uint64_t maxObjectBytes() const { return max_object_.load(std::memory_order_relaxed); }

  // The entry for `primary` whose variant matches `request` (by the vary names of the last
  // response stored for `primary`), or null. With `insert_pending` a miss inserts a pending
  // entry (for collapsing) and sets *inserted.
  std::shared_ptr<Entry> lookup(const std::string& primary, const http::HeaderMap& request, bool insert_pending,
                                bool* inserted);
  // The filler learnt the response's vary: (re)keys `entry` by it; other variants made under
  // different vary names are dropped. False if the entry is no longer mapped.
  bool place(const std::shared_ptr<Entry>& entry, const std::vector<std::string>& vary_names,
             const std::string& vary_key);
  // Maps a new entry (revalidation answered 200), replacing the variant in place.
  void insert(const std::shared_ptr<Entry>& entry, const std::vector<std::string>& vary_names,
              const std::string& vary_key);
  // Maps `entry` in place of `stale` (same primary key) only if `stale` is still mapped: an
  // object invalidated (unsafe method) or evicted meanwhile is not brought back. False if not.
  bool replace(const std::shared_ptr<Entry>& stale, const std::shared_ptr<Entry>& entry,
               const std::vector<std::string>& vary_names, const std::string& vary_key);
  // Counts `bytes` more for `entry`; false (and the entry is dropped) past max_object_bytes.
  // Evicts least recently used objects past max_bytes.
  bool charge(const std::shared_ptr<Entry>& entry, uint64_t bytes);
  void remove(const std::shared_ptr<Entry>& entry);
  // Drops every variant of `primary`; returns how many.
  size_t invalidate(const std::string& primary);

  // A transient entry's kept bytes changed by `delta` (its filler and readers report it).
  void adjustTransient(int64_t delta);

  uint64_t storedBytes() const { return bytes_.load(std::memory_order_relaxed); }
  int64_t transientBytes() const { return transient_.load(std::memory_order_relaxed); }
  // What counts against max_bytes: stored plus transient.
  uint64_t bytes() const;

 private:
  struct Slot {
    std::vector<std::string> vary_names;
    absl::flat_hash_map<std::string, std::shared_ptr<Entry>> variants;
  };
  struct Shard {
    absl::Mutex mu;
    absl::flat_hash_map<std::string, Slot> slots ABSL_GUARDED_BY(mu);
    std::list<std::shared_ptr<Entry>> lru ABSL_GUARDED_BY(mu);  // front: most recent
  };
  Shard& shardOf(const std::string& primary);
  void mapLocked(Shard& shard, const std::shared_ptr<Entry>& entry, const std::string& key)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard.mu);
  void placeLocked(Shard& shard, const std::shared_ptr<Entry>& entry, const std::vector<std::string>& vary_names,
                   const std::string& vary_key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard.mu);
  void unmapLocked(Shard& shard, Entry& entry) ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard.mu);
  void evictIfNeeded();
  bool evictOne();

  std::array<Shard, kShards> shards_;
  std::atomic<uint64_t> bytes_{0};
  // Signed: a reader may report a chunk dropped before its filler reported it kept.
  std::atomic<int64_t> transient_{0};
  std::atomic<uint64_t> tick_{0};
  std::atomic<uint64_t> max_bytes_{64u << 20};
  std::atomic<uint64_t> max_object_{1u << 20};
};

}  // namespace strait::filters::cache
