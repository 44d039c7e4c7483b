// Token buckets shared by all the workers of a sidecar, for local_rate_limit.
// Time is passed in (monotonic milliseconds, e.g. Dispatcher::nowMs(), the same clock on
// every worker), so the math is tested with a fake clock. Fills happen at whole multiples of
// the fill interval: a bucket that last filled at fill number F gets tokens_per_fill for
// each fill since, up to max_tokens.
// THREADS: every method may be called from any thread. TokenBucket is lock-free (one 64-bit
// word, compare-and-swap); KeyedTokenBuckets locks one of 256 stripe mutexes for a few
// compares (never across I/O or allocation).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace strait::filters {

struct TokenBucketSettings {
  uint32_t max_tokens = 1;        // bucket size, <= kMaxTokens
  uint32_t tokens_per_fill = 1;   // >= 1
  int64_t fill_interval_ms = 1000;  // >= 1
  static constexpr uint32_t kMaxTokens = (1u << 24) - 1;
};

// The bucket state packed into 64 bits: the fill number (ms since boot / interval, 40 bits:
// 34 years at 1 ms) and the tokens (24 bits).
class TokenBucketMath {
 public:
  static uint64_t full(const TokenBucketSettings& s) { return s.max_tokens; }  // fill 0
  // The state after the fills due at `now_ms`.
  static uint64_t refill(uint64_t state, int64_t now_ms, const TokenBucketSettings& s);
  static uint32_t tokens(uint64_t state) { return static_cast<uint32_t>(state & kTokenMask); }
  // Milliseconds from now_ms until the fill after the one `state` is at (> 0).
  static int64_t msToNextFill(uint64_t state, int64_t now_ms, const TokenBucketSettings& s);
  static constexpr uint64_t kTokenMask = (1u << 24) - 1;
};

// Result of taking a token: allowed, or how long until one is available.
struct TakeResult {
  bool allowed = true;
  int64_t retry_after_ms = 0;  // when !allowed
};

class TokenBucket {
 public:
  explicit TokenBucket(const TokenBucketSettings& s) : settings_(s), state_(TokenBucketMath::full(s)) {}
  TakeResult take(int64_t now_ms);

 private:
  const TokenBucketSettings settings_;
  std::atomic<uint64_t> state_;
};

// A fixed table of buckets keyed by a 64-bit hash, allocated once: sets of 4 slots, the key's
// hash picks the set, the least recently used slot of a full set is given to a new key
// (with a full bucket). Two keys with the same 64-bit hash share a bucket.
class KeyedTokenBuckets {
 public:
  // `max_keys` is rounded up to a multiple of 4.
  KeyedTokenBuckets(const TokenBucketSettings& s, uint32_t max_keys);
  TakeResult take(uint64_t key_hash, int64_t now_ms);
  size_t slots() const { return slots_.size(); }

 private:
  static constexpr size_t kWays = 4;
  static constexpr size_t kStripes = 256;
  struct Slot {
    uint64_t tag = 0;        // key hash, 0 = free
    uint64_t state = 0;      // TokenBucketMath state
    int64_t last_used = 0;   // ms, for replacement
  };
  const TokenBucketSettings settings_;
  std::vector<Slot> slots_;  // guarded by stripes_[set % kStripes]
  std::unique_ptr<std::mutex[]> stripes_;
};

}  // namespace strait::filters
