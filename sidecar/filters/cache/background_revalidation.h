// The stale-while-revalidate refresh of one stored object, in the background (RFC 5861, as
// nginx's proxy_cache_background_update and Envoy do): the request that found the object
// stale within its window was answered with it at once, and the filter sent a conditional
// request for it (FilterCallbacks::sendBackgroundRequest) whose answer this handler applies:
//   304            the stored head is refreshed (RFC 9111 4.3.4): the object is fresh again;
//   storable 2xx…  buffered (at most max_object_bytes, counted against max_bytes as transient
//                  bytes meanwhile), then it replaces the stale object at once when complete;
//   5xx, failure   nothing changes: the stale object serves on within its windows
//                  (stale-while-revalidate, stale-if-error) and the next request retries;
//   anything else  (not storable, too large) the stale object is dropped: the origin has a
//                  newer one that will not be stored, so the next request goes upstream.
// When filters after the cache transform the responses it stores (the compression filter
// in a [cache, compression] chain), the background response, which skips them, is not what
// is stored: a 304 then refreshes only the stored head's freshness fields (cache-control,
// expires, date, last-modified; not the etag or vary those filters adjusted), and any other
// storable answer drops the stale object so that the next request fetches it through the
// whole chain.
// One refresh per object at a time: the filter sets the entry's `revalidating` flag before
// sending; the handler clears it when it is destroyed (after the answer, a failure, or the
// worker's shutdown).
// THREADS: the worker that sent the request. OWNERSHIP: the background request owns it.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "sidecar/filters/cache/cache_response.h"
#include "sidecar/filters/cache/cache_store.h"
#include "sidecar/filters/filter.h"

namespace strait::filters::cache {

class BackgroundRevalidation final : public BackgroundResponseHandler {
 public:
  // `request`: the fields of the request that found the object stale (its vary values).
  // `transformed_after`: filters after the cache transform what it stores (see above).
  BackgroundRevalidation(std::shared_ptr<Store> store, std::shared_ptr<Entry> stale,
                         std::shared_ptr<const Settings> settings, http::HeaderMap request,
                         bool transformed_after);
  ~BackgroundRevalidation() override;

  void onHead(const http::ResponseHead& head) override;
  void onData(const char* data, size_t len) override;
  void onComplete() override;
  void onFailure() override { dropBuffered(); }

 private:
  void dropBuffered();

  std::shared_ptr<Store> store_;
  std::shared_ptr<Entry> stale_;
  std::shared_ptr<const Settings> settings_;
  http::HeaderMap request_;
  int64_t request_time_;
  bool transformed_after_;
  std::shared_ptr<StoredResponse> fresh_;  // a new response being buffered
  std::vector<Entry::Chunk> body_;
  uint64_t body_bytes_ = 0;                // of body_, charged as transient bytes
};

}  // namespace strait::filters::cache
