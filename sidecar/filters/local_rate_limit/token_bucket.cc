#include "sidecar/filters/local_rate_limit/token_bucket.h"

#include <algorithm>

namespace strait::filters {

uint64_t TokenBucketMath::refill(uint64_t state, int64_t now_ms, const TokenBucketSettings& s) {
  uint64_t fill_now = static_cast<uint64_t>(std::max<int64_t>(now_ms, 0) / s.fill_interval_ms);
  uint64_t fill = state >> 24;
  uint64_t tokens = state & kTokenMask;
  if (fill_now <= fill) return state;
  uint64_t fills = fill_now - fill;
  // No overflow: fills is capped before the multiplication.
  uint64_t add = std::min<uint64_t>(fills, s.max_tokens) * s.tokens_per_fill;
  tokens = std::min<uint64_t>(tokens + add, s.max_tokens);
  return (fill_now << 24) | tokens;
}

int64_t TokenBucketMath::msToNextFill(uint64_t state, int64_t now_ms, const TokenBucketSettings& s) {
  int64_t next = static_cast<int64_t>((state >> 24) + 1) * s.fill_interval_ms;
  return std::max<int64_t>(next - now_ms, 1);
}

TakeResult TokenBucket::take(int64_t now_ms) {
  uint64_t old = state_.load(std::memory_order_relaxed);
  for (;;) {
    uint64_t s = TokenBucketMath::refill(old, now_ms, settings_);
    if (TokenBucketMath::tokens(s) == 0) {
      // Nothing to publish: a refill always adds a token, so the state has not moved.
      return {false, TokenBucketMath::msToNextFill(s, now_ms, settings_)};
    }
    if (state_.compare_exchange_weak(old, s - 1, std::memory_order_relaxed)) return {true, 0};
  }
}

KeyedTokenBuckets::KeyedTokenBuckets(const TokenBucketSettings& s, uint32_t max_keys)
    : settings_(s),
      slots_(std::max<size_t>((static_cast<size_t>(max_keys) + kWays - 1) / kWays, 1) * kWays),
      stripes_(new std::mutex[kStripes]) {}

TakeResult KeyedTokenBuckets::take(uint64_t key_hash, int64_t now_ms) {
  if (key_hash == 0) key_hash = 1;  // 0 marks a free slot
  size_t sets = slots_.size() / kWays;
  size_t set = static_cast<size_t>(key_hash % sets);
  std::lock_guard<std::mutex> lock(stripes_[set % kStripes]);
  Slot* base = &slots_[set * kWays];
  Slot* slot = nullptr;
  for (size_t i = 0; i < kWays && slot == nullptr; i++) {
    if (base[i].tag == key_hash) slot = &base[i];
  }
  if (slot == nullptr) {  // a free slot, else the least recently used one
    slot = base;
    for (size_t i = 0; i < kWays; i++) {
      if (base[i].tag == 0) {
        slot = &base[i];
        break;
      }
      if (base[i].last_used < slot->last_used) slot = &base[i];
    }
    slot->tag = key_hash;
    slot->state = TokenBucketMath::full(settings_);
  }
  slot->last_used = now_ms;
  uint64_t s = TokenBucketMath::refill(slot->state, now_ms, settings_);
  slot->state = s;
  if (TokenBucketMath::tokens(s) == 0) return {false, TokenBucketMath::msToNextFill(s, now_ms, settings_)};
  slot->state = s - 1;
  return {true, 0};
}

}  // namespace strait::filters
