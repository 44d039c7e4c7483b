// One cached object: an immutable response head and an append-only list of immutable body
// chunks, shared (shared_ptr) by the store and by every request streaming it.
// THREADS: any. The entry's mutex guards only its fill state (head pointer, chunk list,
// readers) and is held for a few pointer copies; body bytes are never copied under it.
// Readers on other workers are woken by Dispatcher::post to their own dispatcher (Waker):
// the filling worker never touches another worker's objects.
//
// TRANSIENT ENTRIES (a bounded stream for objects the store will not keep): a fill that
// cannot be stored (an object of unknown length that outgrows max_object_bytes, or one
// evicted or invalidated while it fills) keeps streaming to the readers already subscribed,
// and nobody new can find it (the store has unmapped it). After makeTransient() the entry
// keeps only the chunks some subscribed reader has not taken yet, and at most `max_lag`
// bytes of them (the cache filter passes max(max_object_bytes, 4 MiB)): a reader further behind the filler is cut off (its next snapshot says
// `missed`; it resets its client, as for a failed fill, or goes upstream if it sent nothing
// yet). A slow client thus costs the sidecar at most max_lag bytes, never the whole object.
// The bytes a transient entry keeps are counted against the store's max_bytes: every call
// that changes them returns the change, and the caller passes it to Store::adjustTransient.
// This is the CDN "streaming pass" (Varnish's transient storage, but bounded): the object's
// readers are not failed because it turned out large, and the memory stays bounded.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <list>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
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
  // Guarded by the mutex of the entry it is subscribed to:
  size_t next_chunk = 0;  // chunks the reader has taken (index from the object's first chunk)
  bool cut = false;       // fell more than max_lag behind a transient fill
};

class Entry {
 public:
  enum class State { kPending, kFilling, kComplete, kFailed };
  using Chunk = std::shared_ptr<const std::string>;

  Entry(std::string primary, std::string secondary) : primary_(std::move(primary)), secondary_(std::move(secondary)) {}

  // A consistent view for a reader that has taken `from` chunks. A subscribed `reader`
  // records its position there (a transient entry drops chunks every reader has taken).
  struct View {
    State state = State::kPending;
    std::shared_ptr<const StoredResponse> head;
    std::vector<Chunk> chunks;  // chunks[from..]
    uint64_t body_bytes = 0;    // all bytes so far
    bool missed = false;        // chunks[from..] are not all kept any more: the reader cannot go on
    uint64_t released = 0;      // transient bytes dropped by this call (Store::adjustTransient(-n))
  };
  void snapshot(size_t from, View* out, Waker* reader = nullptr);
  std::shared_ptr<const StoredResponse> head() const;
  State state() const;

  // A reader to wake on every change until the entry is complete or failed; false if it
  // already is (nothing more will come: read the view).
  bool subscribe(std::shared_ptr<Waker> waker);
  // The reader is done with the entry; returns the transient bytes released.
  uint64_t unsubscribe(const Waker* waker);
  bool hasReaders() const;

  // Filler side (one worker). append/complete/fail/makeTransient return the change in
  // transient bytes (always 0 before makeTransient).
  void publishHead(std::shared_ptr<const StoredResponse> head);
  int64_t append(Chunk chunk);
  uint64_t complete();  // released
  uint64_t fail();      // released: every chunk is dropped, readers reset or go upstream
  // The object will not be stored; see TRANSIENT ENTRIES. Returns the bytes kept from now on.
  uint64_t makeTransient(uint64_t max_lag);
  uint64_t keptBytes() const;  // bytes of the chunks held now
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
  uint64_t trimLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  uint64_t cutLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string primary_;
  const std::string secondary_;
  mutable absl::Mutex mu_;
  State state_ ABSL_GUARDED_BY(mu_) = State::kPending;
  std::shared_ptr<const StoredResponse> head_ ABSL_GUARDED_BY(mu_);
  std::deque<Chunk> chunks_ ABSL_GUARDED_BY(mu_);   // chunks_[0] is the object's chunk base_
  size_t base_ ABSL_GUARDED_BY(mu_) = 0;            // chunks dropped from the front
  uint64_t kept_bytes_ ABSL_GUARDED_BY(mu_) = 0;    // bytes in chunks_
  uint64_t body_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  bool transient_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t max_lag_ ABSL_GUARDED_BY(mu_) = 0;       // transient: most bytes kept for laggards
  std::vector<std::shared_ptr<Waker>> readers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace strait::filters::cache
