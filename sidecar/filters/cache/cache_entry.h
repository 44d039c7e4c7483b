// One cached object: an immutable response head and an append-only list of immutable body
// chunks, shared (shared_ptr) by the store and by every request streaming it.
// THREADS: any. The entry's mutex guards only its fill state (head pointer, chunk list,
// readers) and is held for a few pointer copies; body bytes are never copied under it.
// Readers on other workers are woken by Dispatcher::post to their own dispatcher (Waker):
// the filling worker never touches another worker's objects.
#pragma once

#include <atomic>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "sidecar/event/dispatcher.h"
#include "sidecar/filters/cache/cache_policy.h"

namespace strait::filters::cache {

// What the store keeps of a response head; immutable once published (a 304 refresh
// publishes a new one).
struct StoredResponse {
  int status = 200;
  std::string reason;
  http::HeaderMap headers;             // as received (hop-by-hop already removed)
  AgeInputs age;                       // for the age header and freshness
  int64_t freshness = 0;               // lifetime, seconds
  CacheControl cc;                     // the response's cache-control
  std::vector<std::string> vary_names; // sorted, lower-case
  std::string vary_key;                // the filling request's values of vary_names
};

// Called on the reader's own worker when its entry has news. Implemented by the filter.
class EntryReader {
 public:
  virtual ~EntryReader() = default;
  virtual void onEntryUpdate() = 0;
};

// A reader's wake-up handle: shared by the entry (any thread) and the reader (its thread).
struct Waker {
  event::Dispatcher* dispatcher = nullptr;
  std::atomic<bool> scheduled{false};
  EntryReader* reader = nullptr;  // only read/written on `dispatcher`'s thread; null once gone
};

class Entry {
 public:
  enum class State { kPending, kFilling, kComplete, kFailed };
  using Chunk = std::shared_ptr<const std::string>;

  Entry(std::string primary, std::string secondary) : primary_(std::move(primary)), secondary_(std::move(secondary)) {}

  // A consistent view for a reader that has consumed `from` chunks.
  struct View {
    State state = State::kPending;
    std::shared_ptr<const StoredResponse> head;
    std::vector<Chunk> chunks;  // chunks[from..]
    uint64_t body_bytes = 0;    // all bytes so far
  };
  void snapshot(size_t from, View* out) const;
  std::shared_ptr<const StoredResponse> head() const;
  State state() const;

  // A reader to wake on every change until the entry is complete or failed; false if it
  // already is (nothing more will come: read the view).
  bool subscribe(std::shared_ptr<Waker> waker);
  bool hasReaders() const;

  // Filler side (one worker).
  void publishHead(std::shared_ptr<const StoredResponse> head);
  void append(Chunk chunk);
  void complete();
  void fail();
  // A 304 refresh: the new head replaces the old for later readers.
  void refreshHead(std::shared_ptr<const StoredResponse> head);

  const std::string& primary() const { return primary_; }
  const std::string& secondary() const { return secondary_; }

  // Store bookkeeping, guarded by the owning shard's mutex (see Store).
  std::string store_secondary;             // key under which it is mapped
  bool mapped = false;
  uint64_t charged = 0;                    // bytes counted against the limits
  std::list<std::shared_ptr<Entry>>::iterator lru_pos;
  std::atomic<uint64_t> last_use{0};       // store tick of the last lookup
  std::atomic<bool> revalidating{false};   // a request is revalidating it (stale-while-revalidate)

 private:
  void wakeLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string primary_;
  const std::string secondary_;
  mutable std::mutex mu_;
  State state_ ABSL_GUARDED_BY(mu_) = State::kPending;
  std::shared_ptr<const StoredResponse> head_ ABSL_GUARDED_BY(mu_);
  std::vector<Chunk> chunks_ ABSL_GUARDED_BY(mu_);
  uint64_t body_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::shared_ptr<Waker>> readers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace strait::filters::cache
