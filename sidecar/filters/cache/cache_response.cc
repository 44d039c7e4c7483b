#include "sidecar/filters/cache/cache_response.h"

#include <time.h>

#include <atomic>
#include <cstdlib>

#include "sidecar/filters/cache/cache_filter.h"
#include "sidecar/filters/cache/cache_stats.h"

namespace strait::filters::cache {
namespace {

int64_t systemNow() { return static_cast<int64_t>(time(nullptr)); }
std::atomic<ClockFn> g_clock{&systemNow};

}  // namespace

void setClockForTest(ClockFn clock) { g_clock.store(clock ? clock : &systemNow); }

int64_t nowS() { return g_clock.load(std::memory_order_relaxed)(); }

uint64_t headBytes(const http::HeaderMap& headers) {
  uint64_t n = 64;
  for (const auto& f : headers.fields()) n += f.name.size() + f.value.size() + 4;
  return n;
}

std::shared_ptr<StoredResponse> storableResponse(const http::ResponseHead& head, const http::HeaderMap& request,
                                                 const CacheControl& request_cc, int64_t request_time,
                                                 const Settings& settings, uint64_t max_object) {
  CacheControl cc = parseCacheControl(head.headers);
  if (!responseStorable(request, request_cc, head.status, head.headers, cc, nullptr)) return nullptr;
  int64_t now = nowS();
  int64_t freshness = freshnessLifetime(head.status, head.headers, cc, now, settings.heuristic_cap);
  if (freshness == 0 && !head.headers.get("etag") && !head.headers.get("last-modified")) return nullptr;
  if (const std::string* cl = head.headers.get("content-length");
      cl && std::strtoull(cl->c_str(), nullptr, 10) > max_object) {
    CacheStats::inc(cacheStats().too_large);
    return nullptr;
  }
  auto s = std::make_shared<StoredResponse>();
  s->status = head.status;
  s->reason = head.reason;
  s->headers = head.headers;
  s->age = ageInputs(head.headers, request_time, now);
  s->freshness = freshness;
  s->cc = cc;
  bool star = false;
  s->vary_names = varyNames(head.headers, &star);
  s->vary_key = varyKey(s->vary_names, request);
  return s;
}

std::shared_ptr<const StoredResponse> refreshedResponse(const StoredResponse& old, const http::HeaderMap& fresh,
                                                        int64_t request_time, const Settings& settings) {
  auto s = std::make_shared<StoredResponse>(old);
  for (const auto& f : fresh.fields()) {
    if (f.name == "content-length" || f.name == settings.status_header) continue;
    s->headers.set(f.name, f.value);
  }
  int64_t now = nowS();
  s->cc = parseCacheControl(s->headers);
  s->age = ageInputs(s->headers, request_time, now);
  s->freshness = freshnessLifetime(s->status, s->headers, s->cc, now, settings.heuristic_cap);
  return s;
}

}  // namespace strait::filters::cache
