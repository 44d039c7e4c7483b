#include "sidecar/filters/cache/cache_entry.h"

#include <algorithm>

namespace strait::filters::cache {

void Entry::snapshot(size_t from, View* out, Waker* reader) {
  absl::MutexLock lock(&mu_);
  if (reader != nullptr) reader->next_chunk = from;
  out->released = trimLocked();
  out->state = state_;
  out->head = head_;
  out->body_bytes = body_bytes_;
  out->chunks.clear();
  out->missed = from < base_ || (reader != nullptr && reader->cut);
  if (out->missed) return;
  if (from - base_ < chunks_.size()) out->chunks.assign(chunks_.begin() + static_cast<ptrdiff_t>(from - base_), chunks_.end());
}

std::shared_ptr<const StoredResponse> Entry::head() const {
  absl::MutexLock lock(&mu_);
  return head_;
}

Entry::State Entry::state() const {
  absl::MutexLock lock(&mu_);
  return state_;
}

bool Entry::subscribe(std::shared_ptr<Waker> waker) {
  absl::MutexLock lock(&mu_);
  if (state_ == State::kComplete || state_ == State::kFailed) return false;
  readers_.push_back(std::move(waker));
  return true;
}

uint64_t Entry::unsubscribe(const Waker* waker) {
  absl::MutexLock lock(&mu_);
  readers_.erase(std::remove_if(readers_.begin(), readers_.end(), [waker](const auto& w) { return w.get() == waker; }),
                 readers_.end());
  return trimLocked();
}

bool Entry::hasReaders() const {
  absl::MutexLock lock(&mu_);
  return std::any_of(readers_.begin(), readers_.end(), [](const auto& w) { return !w->cut; });
}

uint64_t Entry::keptBytes() const {
  absl::MutexLock lock(&mu_);
  return kept_bytes_;
}

// Posts one wake-up per reader; a reader already scheduled is not posted again (it reads
// everything new when it runs).
void Entry::wakeLocked() {
  for (const auto& w : readers_) {
    if (w->scheduled.exchange(true)) continue;
    w->dispatcher->post([w] {
      w->scheduled.store(false);
      if (w->reader != nullptr) w->reader->onEntryUpdate();
    });
  }
}

// Transient: drops the chunks every reader still in the race has taken; returns their bytes.
uint64_t Entry::trimLocked() {
  if (!transient_) return 0;
  size_t keep_from = base_ + chunks_.size();
  for (const auto& w : readers_) {
    if (!w->cut) keep_from = std::min(keep_from, w->next_chunk);
  }
  uint64_t dropped = 0;
  while (base_ < keep_from && !chunks_.empty()) {
    dropped += chunks_.front()->size();
    chunks_.pop_front();
    base_++;
  }
  kept_bytes_ -= dropped;
  return dropped;
}

// Transient: cuts off the readers furthest behind until at most max_lag_ bytes are kept.
uint64_t Entry::cutLocked() {
  uint64_t dropped = trimLocked();
  while (kept_bytes_ > max_lag_) {
    Waker* last = nullptr;
    for (const auto& w : readers_) {
      if (!w->cut && (last == nullptr || w->next_chunk < last->next_chunk)) last = w.get();
    }
    if (last == nullptr) break;  // no reader left: trimLocked dropped everything already
    last->cut = true;
    dropped += trimLocked();
  }
  return dropped;
}

void Entry::publishHead(std::shared_ptr<const StoredResponse> head) {
  absl::MutexLock lock(&mu_);
  head_ = std::move(head);
  state_ = State::kFilling;
  wakeLocked();
}

int64_t Entry::append(Chunk chunk) {
  absl::MutexLock lock(&mu_);
  const uint64_t size = chunk->size();
  body_bytes_ += size;
  kept_bytes_ += size;
  chunks_.push_back(std::move(chunk));
  int64_t change = 0;
  if (transient_) change = static_cast<int64_t>(size) - static_cast<int64_t>(cutLocked());
  wakeLocked();
  return change;
}

uint64_t Entry::complete() {
  absl::MutexLock lock(&mu_);
  if (state_ == State::kFailed) return 0;
  state_ = State::kComplete;
  wakeLocked();
  // A transient entry keeps its readers: their positions decide what stays.
  if (!transient_) readers_.clear();
  return trimLocked();
}

uint64_t Entry::fail() {
  absl::MutexLock lock(&mu_);
  if (state_ == State::kComplete) return 0;
  state_ = State::kFailed;
  wakeLocked();
  readers_.clear();
  // Nobody can use the bytes of a failed fill.
  uint64_t released = transient_ ? kept_bytes_ : 0;
  base_ += chunks_.size();
  chunks_.clear();
  kept_bytes_ = 0;
  return released;
}

uint64_t Entry::makeTransient(uint64_t max_lag) {
  absl::MutexLock lock(&mu_);
  if (transient_) return 0;
  transient_ = true;
  max_lag_ = max_lag;
  cutLocked();  // the bytes dropped here were never charged as transient
  wakeLocked();  // the readers cut off learn it
  return kept_bytes_;
}

void Entry::refreshHead(std::shared_ptr<const StoredResponse> head) {
  absl::MutexLock lock(&mu_);
  head_ = std::move(head);
}

}  // namespace strait::filters::cache
