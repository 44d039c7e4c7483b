#include "sidecar/filters/cache/background_revalidation.h"

#include "sidecar/filters/cache/cache_stats.h"

namespace strait::filters::cache {

BackgroundRevalidation::BackgroundRevalidation(std::shared_ptr<Store> store, std::shared_ptr<Entry> stale,
                                               std::shared_ptr<const Settings> settings, http::HeaderMap request,
                                               bool transformed_after)
    : store_(std::move(store)), stale_(std::move(stale)), settings_(std::move(settings)),
      request_(std::move(request)), request_time_(nowS()), transformed_after_(transformed_after) {}

namespace {

// The fields of a 304 that do not depend on the representation the filters after the cache
// produced from the origin's (its encoding, etag, vary).
http::HeaderMap freshnessFields(const http::HeaderMap& headers) {
  http::HeaderMap out;
  for (const auto& f : headers.fields()) {
    if (f.name == "cache-control" || f.name == "expires" || f.name == "date" || f.name == "last-modified") {
      out.add(f.name, f.value);
    }
  }
  return out;
}

}  // namespace

BackgroundRevalidation::~BackgroundRevalidation() {
  dropBuffered();
  stale_->revalidating.store(false);
}

void BackgroundRevalidation::onHead(const http::ResponseHead& head) {
  if (head.status == 304) {
    http::HeaderMap filtered;
    if (transformed_after_) filtered = freshnessFields(head.headers);
    const http::HeaderMap& fields = transformed_after_ ? filtered : head.headers;
    stale_->refreshHead(refreshedResponse(*stale_->head(), fields, request_time_, *settings_));
    CacheStats::inc(cacheStats().revalidations);
    return;
  }
  if (head.status >= 500) return;
  // The cache's own request: the client's cache-control does not apply to what is stored.
  if (transformed_after_) {  // a new object: stored only as the whole chain makes it
    store_->remove(stale_);
    return;
  }
  fresh_ = storableResponse(head, request_, CacheControl{}, request_time_, *settings_, store_->maxObjectBytes());
  if (!fresh_) store_->remove(stale_);
}

void BackgroundRevalidation::onData(const char* data, size_t len) {
  if (!fresh_) return;
  if (body_bytes_ + len > store_->maxObjectBytes()) {
    CacheStats::inc(cacheStats().too_large);
    dropBuffered();
    store_->remove(stale_);
    return;
  }
  body_.push_back(std::make_shared<const std::string>(data, len));
  body_bytes_ += len;
  store_->adjustTransient(static_cast<int64_t>(len));
}

// The new object replaces the stale one in one step (Store::replace maps it under the same
// variant key), complete: readers never see it half filled.
void BackgroundRevalidation::onComplete() {
  if (!fresh_) return;
  auto entry = std::make_shared<Entry>(stale_->primary(), fresh_->vary_key);
  entry->publishHead(fresh_);
  for (auto& chunk : body_) entry->append(std::move(chunk));
  entry->complete();
  uint64_t bytes = headBytes(fresh_->headers) + body_bytes_;
  dropBuffered();  // the transient charge ends; the stored one begins
  // Not if the stale object was invalidated (an unsafe method) or evicted meanwhile.
  if (store_->replace(stale_, entry, entry->head()->vary_names, entry->head()->vary_key)) {
    store_->charge(entry, bytes);
  }
}

void BackgroundRevalidation::dropBuffered() {
  store_->adjustTransient(-static_cast<int64_t>(body_bytes_));
  body_.clear();
  body_bytes_ = 0;
  fresh_.reset();
}

}  // namespace strait::filters::cache
