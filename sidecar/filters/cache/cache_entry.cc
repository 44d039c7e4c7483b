#include "sidecar/filters/cache/cache_entry.h"

namespace strait::filters::cache {

void Entry::snapshot(size_t from, View* out) const {
  std::lock_guard<std::mutex> lock(mu_);
  out->state = state_;
  out->head = head_;
  out->body_bytes = body_bytes_;
  out->chunks.clear();
  if (from < chunks_.size()) out->chunks.assign(chunks_.begin() + static_cast<ptrdiff_t>(from), chunks_.end());
}

std::shared_ptr<const StoredResponse> Entry::head() const {
  std::lock_guard<std::mutex> lock(mu_);
  return head_;
}

Entry::State Entry::state() const {
  std::lock_guard<std::mutex> lock(mu_);
  return state_;
}

bool Entry::subscribe(std::shared_ptr<Waker> waker) {
  std::lock_guard<std::mutex> lock(mu_);
  if (state_ == State::kComplete || state_ == State::kFailed) return false;
  readers_.push_back(std::move(waker));
  return true;
}

bool Entry::hasReaders() const {
  std::lock_guard<std::mutex> lock(mu_);
  return !readers_.empty();
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

void Entry::publishHead(std::shared_ptr<const StoredResponse> head) {
  std::lock_guard<std::mutex> lock(mu_);
  head_ = std::move(head);
  state_ = State::kFilling;
  wakeLocked();
}

void Entry::append(Chunk chunk) {
  std::lock_guard<std::mutex> lock(mu_);
  body_bytes_ += chunk->size();
  chunks_.push_back(std::move(chunk));
  wakeLocked();
}

void Entry::complete() {
  std::lock_guard<std::mutex> lock(mu_);
  if (state_ == State::kFailed) return;
  state_ = State::kComplete;
  wakeLocked();
  readers_.clear();
}

void Entry::fail() {
  std::lock_guard<std::mutex> lock(mu_);
  if (state_ == State::kComplete) return;
  state_ = State::kFailed;
  wakeLocked();
  readers_.clear();
}

void Entry::refreshHead(std::shared_ptr<const StoredResponse> head) {
  std::lock_guard<std::mutex> lock(mu_);
  head_ = std::move(head);
}

}  // namespace strait::filters::cache
