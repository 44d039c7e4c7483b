#include "sidecar/filters/cache/cache_filter.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "sidecar/filters/cache/background_revalidation.h"
#include "sidecar/filters/cache/cache_response.h"
#include "sidecar/filters/cache/cache_stats.h"
#include "sidecar/filters/cache/cache_store.h"
#include "sidecar/filters/cache/cache_validate.h"

namespace strait::filters::cache {
namespace {

// The least a transient entry keeps for its readers (see cache_entry.h). A filler appends up
// to 1 MiB per upstream read event (net::Connection's kMaxReadPerEvent) before a reader's
// wake-up runs, even on the same worker: below a few of those, readers that are merely not
// scheduled yet would be cut off, not only those whose clients stopped reading.
constexpr uint64_t kMinTransientLag = uint64_t{4} << 20;

bool unsafeMethod(const std::string& m) { return m != "GET" && m != "HEAD" && m != "OPTIONS" && m != "TRACE"; }

enum class Freshness { kFresh, kStaleAllowed, kStale };

// How usable a stored response is for this request (RFC 9111 4.2, 5.2.1).
Freshness evaluate(const StoredResponse& s, const CacheControl& req, int64_t now) {
  int64_t age = currentAge(s.age, now);
  int64_t lifetime = s.freshness;
  if (req.max_age >= 0) lifetime = std::min(lifetime, req.max_age);
  bool must_validate = s.cc.no_cache || req.no_cache;
  if (!must_validate && age + std::max<int64_t>(0, req.min_fresh) < lifetime) return Freshness::kFresh;
  if (!must_validate && !s.cc.must_revalidate && req.max_stale >= 0 && age - s.freshness <= req.max_stale) {
    return Freshness::kStaleAllowed;
  }
  return Freshness::kStale;
}

bool withinStaleWindow(const StoredResponse& s, int64_t window, int64_t now) {
  if (window < 0 || s.cc.must_revalidate || s.cc.no_cache) return false;
  return currentAge(s.age, now) - s.freshness <= window;
}

// The request the cache sends for a stored object: whole (the client's range and
// validators are answered from the stored object), and conditional on the stored validators.
void makeConditional(http::RequestHead& head, const StoredResponse* stored) {
  for (const char* name : {"range", "if-range", "if-none-match", "if-modified-since", "if-match", "if-unmodified-since"}) {
    head.headers.remove(name);
  }
  if (stored == nullptr) return;
  if (const std::string* etag = stored->headers.get("etag")) head.headers.set("if-none-match", *etag);
  if (const std::string* lm = stored->headers.get("last-modified")) head.headers.set("if-modified-since", *lm);
}

// Copies bytes [first, first+len) of the chunk list into `out`.
void sliceChunks(const std::vector<Entry::Chunk>& chunks, uint64_t first, uint64_t len, std::string* out) {
  uint64_t pos = 0;
  for (const auto& c : chunks) {
    uint64_t end = pos + c->size();
    if (end > first && len > 0) {
      uint64_t from = first > pos ? first - pos : 0;
      uint64_t n = std::min<uint64_t>(c->size() - from, len);
      out->append(c->data() + from, n);
      first += n;
      len -= n;
    }
    pos = end;
  }
}

class CacheFilter final : public StreamFilter, public EntryReader {
 public:
  CacheFilter(std::shared_ptr<Store> store, std::shared_ptr<const Settings> settings)
      : store_(std::move(store)), settings_(std::move(settings)) {}
  ~CacheFilter() override { abandon(); }

  FilterStatus onRequestHead(http::RequestHead& head, bool end_stream) override;
  void onResponseHead(http::ResponseHead& head, http::BodyFraming& framing, uint64_t& length) override;
  void onResponseData(const char* data, size_t len) override;
  bool transformsBody() const override { return replaced_; }
  void transformResponseData(const char*, size_t, std::string*) override {}  // the upstream's body is replaced
  void finishResponseData(std::string* out) override { out->append(replacement_); }
  void onResponseComplete(const http::HeaderMap*) override;
  void onStreamReset() override { abandon(); }
  void onEntryUpdate() override { pull(); }
  // A hit stops sending chunks while the client's buffer is full, and resumes when it drains.
  void onDownstreamWatermark(bool above) override {
    paused_ = above;
    if (!above) pull();
  }

 private:
  enum class Role { kPass, kReader, kFiller, kRefresher };
  FilterStatus lookup(http::RequestHead& head);
  FilterStatus fetch(http::RequestHead& head, Role role, std::shared_ptr<Entry> stale, bool conditional);
  FilterStatus read(std::shared_ptr<Entry> entry, const char* label);
  bool revalidateInBackground(const http::RequestHead& head, const std::shared_ptr<Entry>& entry);
  void pull();
  bool answerComplete(const StoredResponse& s, const Entry::View& v);
  void buildComplete(const StoredResponse& s, const Entry::View& v, const char* tag, http::ResponseHead* head,
                     std::string* body, bool* has_body);
  http::ResponseHead makeHead(const StoredResponse& s, const char* tag) const;
  void goUpstream();
  void replaceWith(const std::shared_ptr<Entry>& entry, const char* tag, http::ResponseHead& head,
                   http::BodyFraming& framing, uint64_t& length);
  void store(http::ResponseHead& head);
  void label(http::HeaderMap& headers, const char* value) const {
    if (!settings_->status_header.empty()) headers.set(settings_->status_header, value);
  }
  void detach();
  void abandon();
  void release(uint64_t transient_bytes) {
    if (transient_bytes > 0) store_->adjustTransient(-static_cast<int64_t>(transient_bytes));
  }
  bool keepStreaming();

  std::shared_ptr<Store> store_;
  std::shared_ptr<const Settings> settings_;
  Role role_ = Role::kPass;
  std::string primary_;                  // host + target
  http::HeaderMap request_;              // the client's request fields (vary, range, conditionals)
  CacheControl request_cc_;
  bool is_head_ = false;
  bool cacheable_request_ = false;
  bool invalidate_ = false;              // unsafe method: drop primary_ on success
  int64_t request_time_ = 0;
  std::shared_ptr<Entry> entry_;         // read from (reader) or filled (filler, refresher)
  std::shared_ptr<Entry> stale_;         // refresher: the stale entry being revalidated
  bool swr_owner_ = false;               // we set stale_->revalidating
  bool storing_ = false;                 // entry_ is being filled and counted
  bool transient_ = false;               // entry_ is not stored, only streamed to its readers
  bool filled_ = false;                  // entry_ completed or failed by us
  std::shared_ptr<Waker> waker_;
  const char* label_ = "hit";
  bool waiting_ = false;                 // held (kStop) without a response yet
  bool head_sent_ = false;
  bool paused_ = false;  // the client's write buffer is full (backpressure)
  size_t next_chunk_ = 0;
  bool replaced_ = false;                // the upstream response is replaced (304 refresh, stale)
  std::string replacement_;
};

FilterStatus CacheFilter::onRequestHead(http::RequestHead& head, bool end_stream) {
  const std::string* host = head.headers.get("host");
  primary_ = absl::StrCat(host ? absl::AsciiStrToLower(*host) : "", " ", head.target);
  if (head.method != "GET" && head.method != "HEAD") {
    invalidate_ = unsafeMethod(head.method);
    return FilterStatus::kContinue;
  }
  if (!end_stream) return FilterStatus::kContinue;  // a GET with a body is not cached
  cacheable_request_ = true;
  is_head_ = head.method == "HEAD";
  request_ = head.headers;
  request_cc_ = parseRequestCacheControl(head.headers);
  return lookup(head);
}

FilterStatus CacheFilter::lookup(http::RequestHead& head) {
  bool inserted = false;
  bool may_fill = !is_head_ && !request_cc_.no_store && !request_cc_.only_if_cached;
  std::shared_ptr<Entry> entry = store_->lookup(primary_, request_, may_fill, &inserted);
  if (inserted) {
    entry_ = std::move(entry);
    return fetch(head, Role::kFiller, nullptr, false);
  }
  auto only_if_cached = [&] {
    callbacks_->sendLocalReply(504, "not in cache (only-if-cached)\n", "cache_only_if_cached");
    return FilterStatus::kStop;
  };
  Entry::State state = entry ? entry->state() : Entry::State::kFailed;
  if (state == Entry::State::kFailed) {
    if (request_cc_.only_if_cached) return only_if_cached();
    return fetch(head, Role::kPass, nullptr, false);
  }
  std::shared_ptr<const StoredResponse> s = entry->head();
  if (!s) {  // another request is fetching it: wait for its response
    CacheStats::inc(cacheStats().collapsed);
    return read(std::move(entry), "hit");
  }
  int64_t now = nowS();
  Freshness f = evaluate(*s, request_cc_, now);
  if (f == Freshness::kFresh) return read(std::move(entry), "hit");
  if (f == Freshness::kStaleAllowed) return read(std::move(entry), "stale");
  if (request_cc_.only_if_cached) return only_if_cached();
  bool complete = state == Entry::State::kComplete;
  if (complete && !request_cc_.no_cache && withinStaleWindow(*s, s->cc.stale_while_revalidate, now)) {
    // stale-while-revalidate (RFC 5861): served stale at once, and one background request
    // per object refreshes it.
    if (entry->revalidating.exchange(true)) return read(std::move(entry), "stale");
    if (revalidateInBackground(head, entry)) return read(std::move(entry), "stale");
    // No background request possible (an HTTP/2 cluster; see FilterCallbacks::
    // sendBackgroundRequest; the unsent handler cleared the flag): this request revalidates,
    // the others get the stale object.
    if (entry->revalidating.exchange(true)) return read(std::move(entry), "stale");
    swr_owner_ = true;
  }
  if (is_head_ || !complete) return fetch(head, Role::kPass, nullptr, false);
  bool validators = s->headers.get("etag") != nullptr || s->headers.get("last-modified") != nullptr;
  return fetch(head, Role::kRefresher, std::move(entry), validators);
}

// Goes upstream. Fills and refreshes fetch the whole object unconditionally (the client's
// range and validators are answered from the stored object); a refresh of an object with
// validators asks the upstream whether it changed.
FilterStatus CacheFilter::fetch(http::RequestHead& head, Role role, std::shared_ptr<Entry> stale, bool conditional) {
  CacheStats::inc(cacheStats().misses);
  role_ = role;
  stale_ = std::move(stale);
  request_time_ = nowS();
  if (role == Role::kPass) return FilterStatus::kContinue;
  std::shared_ptr<const StoredResponse> s = conditional ? stale_->head() : nullptr;
  makeConditional(head, s.get());
  return FilterStatus::kContinue;
}

// The background refresh of stale-while-revalidate: a GET conditional on the stored
// validators, without the client's cache-control (the cache asks for itself). The handler
// clears entry->revalidating when done, or at once if the request cannot be sent.
bool CacheFilter::revalidateInBackground(const http::RequestHead& head, const std::shared_ptr<Entry>& entry) {
  http::RequestHead refresh = head;
  refresh.method = "GET";
  refresh.headers.remove("cache-control");
  refresh.headers.remove("pragma");
  std::shared_ptr<const StoredResponse> s = entry->head();
  makeConditional(refresh, s.get());
  auto handler = std::make_unique<BackgroundRevalidation>(store_, entry, settings_, request_,
                                                          callbacks_->responseFiltersAfter());
  if (!callbacks_->sendBackgroundRequest(refresh, std::move(handler))) return false;
  CacheStats::inc(cacheStats().background_revalidations);
  return true;
}

FilterStatus CacheFilter::read(std::shared_ptr<Entry> entry, const char* label) {
  role_ = Role::kReader;
  entry_ = std::move(entry);
  label_ = label;
  waiting_ = true;
  waker_ = std::make_shared<Waker>();
  waker_->dispatcher = &callbacks_->dispatcher();
  waker_->reader = this;
  entry_->subscribe(waker_);
  pull();
  return FilterStatus::kStop;
}

// Sends whatever the entry has that we have not sent (on our worker, when woken).
void CacheFilter::pull() {
  if (role_ != Role::kReader || !entry_) return;
  Entry::View v;
  entry_->snapshot(next_chunk_, &v, waker_.get());
  release(v.released);
  if (!head_sent_) {
    if (v.state == Entry::State::kFailed || v.missed) return goUpstream();
    if (!v.head) return;  // still waiting for the filler's response head
    const StoredResponse& s = *v.head;
    if (s.vary_key != varyKey(s.vary_names, request_)) return goUpstream();  // another variant
    if (std::strcmp(label_, "stale") == 0) CacheStats::inc(cacheStats().stale_served);
    else CacheStats::inc(cacheStats().hits);
    waiting_ = false;
    if (v.state == Entry::State::kComplete && answerComplete(s, v)) return detach();
    head_sent_ = true;
    bool end = is_head_ || (v.state == Entry::State::kComplete && v.body_bytes == 0);
    http::ResponseHead h = makeHead(s, label_);
    if (v.state == Entry::State::kComplete) h.headers.set("content-length", std::to_string(v.body_bytes));
    callbacks_->encodeHead(std::move(h), end);
    if (end) return detach();
  }
  // A fill that failed midway, or a transient one we fell too far behind, cannot be
  // completed: reset, so the client sees an error, not a truncated body.
  if (v.missed) {
    detach();
    callbacks_->resetStream();
    return;
  }
  for (const auto& c : v.chunks) {
    if (paused_) return;  // onDownstreamWatermark(false) resumes
    next_chunk_++;
    if (!c->empty()) callbacks_->encodeData(c->data(), c->size(), false);
  }
  if (v.state == Entry::State::kFailed) {
    detach();
    callbacks_->resetStream();
    return;
  }
  if (v.state == Entry::State::kComplete) {
    callbacks_->encodeComplete(nullptr);
    detach();
  }
}

// Complete objects: client conditionals (304) and ranges (206/416) are answered whole.
bool CacheFilter::answerComplete(const StoredResponse& s, const Entry::View& v) {
  bool special = request_.get("if-none-match") || request_.get("if-modified-since") ||
                 (request_.get("range") && s.status == 200 && !is_head_);
  if (!special) return false;
  http::ResponseHead head;
  std::string body;
  bool has_body = false;
  buildComplete(s, v, label_, &head, &body, &has_body);
  head_sent_ = true;
  callbacks_->encodeHead(std::move(head), !has_body);
  if (has_body) callbacks_->encodeData(body.data(), body.size(), true);
  return true;
}

http::ResponseHead CacheFilter::makeHead(const StoredResponse& s, const char* tag) const {
  http::ResponseHead h;
  h.status = s.status;
  h.reason = s.reason;
  h.headers = s.headers;
  h.headers.set("age", std::to_string(currentAge(s.age, nowS())));
  label(h.headers, tag);
  return h;
}

// The full answer from a complete object, honouring the client's conditionals and range.
void CacheFilter::buildComplete(const StoredResponse& s, const Entry::View& v, const char* tag,
                                http::ResponseHead* head, std::string* body, bool* has_body) {
  *head = makeHead(s, tag);
  const std::string* etag = s.headers.get("etag");
  const std::string* lm = s.headers.get("last-modified");
  bool not_modified = false;
  if (const std::string* inm = request_.get("if-none-match")) {
    not_modified = etag != nullptr && etagMatches(*inm, *etag);
  } else if (const std::string* ims = request_.get("if-modified-since"); ims && lm) {
    int64_t since = parseHttpDate(*ims), modified = parseHttpDate(*lm);
    not_modified = since >= 0 && modified >= 0 && modified <= since;
  }
  *has_body = false;
  if (not_modified && (s.status == 200 || s.status == 203)) {
    head->status = 304;
    head->reason = "Not Modified";
    head->headers.remove("content-length");
    return;
  }
  ByteRange r;
  if (const std::string* range = request_.get("range"); range && s.status == 200 && !is_head_) {
    r = parseRange(*range, v.body_bytes);
  }
  if (r.kind == ByteRange::Kind::kUnsatisfiable) {
    head->status = 416;
    head->reason = "Range Not Satisfiable";
    head->headers.set("content-range", absl::StrCat("bytes */", v.body_bytes));
    head->headers.set("content-length", "0");
    return;
  }
  uint64_t first = 0, len = v.body_bytes;
  if (r.kind == ByteRange::Kind::kSatisfiable) {
    head->status = 206;
    head->reason = "Partial Content";
    first = r.first;
    len = r.last - r.first + 1;
    head->headers.set("content-range", absl::StrCat("bytes ", r.first, "-", r.last, "/", v.body_bytes));
  }
  head->headers.set("content-length", std::to_string(len));
  if (is_head_ || len == 0) return;
  sliceChunks(v.chunks, first, len, body);
  *has_body = true;
}

void CacheFilter::goUpstream() {
  bool held = waiting_;
  detach();
  role_ = Role::kPass;
  CacheStats::inc(cacheStats().misses);
  if (held) callbacks_->continueRequest();
}

void CacheFilter::detach() {
  waiting_ = false;
  if (waker_) {
    waker_->reader = nullptr;
    if (entry_) release(entry_->unsubscribe(waker_.get()));
  }
  waker_.reset();
  if (role_ == Role::kReader) entry_.reset();
}

void CacheFilter::onResponseHead(http::ResponseHead& head, http::BodyFraming& framing, uint64_t& length) {
  if (invalidate_) {
    if (head.status >= 200 && head.status < 400) {
      size_t n = store_->invalidate(primary_);
      cacheStats().invalidations.fetch_add(n, std::memory_order_relaxed);
    }
    return;
  }
  if (role_ == Role::kReader || !cacheable_request_) return;
  if (stale_ && head.status == 304) {
    stale_->refreshHead(refreshedResponse(*stale_->head(), head.headers, request_time_, *settings_));
    CacheStats::inc(cacheStats().revalidations);
    return replaceWith(stale_, "revalidated", head, framing, length);
  }
  if (stale_ && head.status >= 500 && withinStaleWindow(*stale_->head(), stale_->head()->cc.stale_if_error, nowS())) {
    CacheStats::inc(cacheStats().stale_served);
    return replaceWith(stale_, "stale", head, framing, length);
  }
  store(head);
  label(head.headers, "miss");
}

void CacheFilter::replaceWith(const std::shared_ptr<Entry>& entry, const char* tag, http::ResponseHead& head,
                              http::BodyFraming& framing, uint64_t& length) {
  Entry::View v;
  entry->snapshot(0, &v);
  bool has_body = false;
  replacement_.clear();
  buildComplete(*v.head, v, tag, &head, &replacement_, &has_body);
  replaced_ = true;
  length = replacement_.size();
  framing = has_body ? http::BodyFraming::kContentLength : http::BodyFraming::kNone;
  if (swr_owner_) stale_->revalidating.store(false);
  swr_owner_ = false;
}

// Decides whether the upstream response is stored, and starts the fill.
void CacheFilter::store(http::ResponseHead& head) {
  if (swr_owner_) stale_->revalidating.store(false);
  swr_owner_ = false;
  std::shared_ptr<StoredResponse> s;
  if (role_ != Role::kPass) {
    s = storableResponse(head, request_, request_cc_, request_time_, *settings_, store_->maxObjectBytes());
  }
  if (!s) {
    if (role_ == Role::kFiller) abandon();
    return;
  }
  if (role_ == Role::kRefresher) entry_ = std::make_shared<Entry>(primary_, s->vary_key);
  entry_->publishHead(s);
  if (role_ == Role::kRefresher) {
    store_->insert(entry_, s->vary_names, s->vary_key);
  } else if (!store_->place(entry_, s->vary_names, s->vary_key)) {
    return;  // evicted or invalidated meanwhile: still streamed to its readers, not stored
  }
  storing_ = store_->charge(entry_, headBytes(head.headers));
}

void CacheFilter::onResponseData(const char* data, size_t len) {
  if (replaced_ || !entry_ || role_ == Role::kReader || filled_) return;
  if (storing_ && !store_->charge(entry_, len)) storing_ = false;  // too large: dropped from the store
  if (!storing_ && !keepStreaming()) return;
  store_->adjustTransient(entry_->append(std::make_shared<const std::string>(data, len)));
}

// The object is not stored (too large, or evicted or invalidated while filling): it goes on
// only as a transient stream for the readers already on it (see cache_entry.h), whose kept
// bytes count against max_bytes. False (the fill ends) once no reader is left.
bool CacheFilter::keepStreaming() {
  if (!entry_->hasReaders()) {
    store_->remove(entry_);
    release(entry_->fail());
    filled_ = true;
    return false;
  }
  if (!transient_) {
    transient_ = true;
    store_->adjustTransient(static_cast<int64_t>(entry_->makeTransient(std::max(store_->maxObjectBytes(), kMinTransientLag))));
  }
  return true;
}

void CacheFilter::onResponseComplete(const http::HeaderMap*) {
  if (!entry_ || role_ == Role::kReader || filled_ || replaced_) return;
  filled_ = true;
  release(entry_->complete());
}

// The stream ends without our fill completing: the entry is dropped, its waiters go upstream.
void CacheFilter::abandon() {
  if (swr_owner_ && stale_) stale_->revalidating.store(false);
  swr_owner_ = false;
  if (role_ == Role::kReader) return detach();
  if (entry_ && !filled_ && (role_ == Role::kFiller || role_ == Role::kRefresher) && !replaced_) {
    filled_ = true;
    store_->remove(entry_);
    release(entry_->fail());
  }
}

class CacheFactory final : public FilterFactory {
 public:
  CacheFactory(std::shared_ptr<Store> store, std::shared_ptr<const Settings> settings)
      : store_(std::move(store)), settings_(std::move(settings)) {}
  std::string_view kind() const override { return "cache"; }
  std::unique_ptr<StreamFilter> create() const override { return std::make_unique<CacheFilter>(store_, settings_); }

 private:
  std::shared_ptr<Store> store_;
  std::shared_ptr<const Settings> settings_;
};


}  // namespace

absl::Status validateCacheConfig(const strait::v1::Cache& config) {
  struct First : xds::FieldProblems {
    std::string error;
    void add(const std::string& field, const std::string& reason) override {
      if (error.empty()) error = field + ": " + reason;
    }
  } first;
  validateCache(config, "cache", first);
  return first.error.empty() ? absl::OkStatus() : absl::InvalidArgumentError(first.error);
}

absl::StatusOr<std::shared_ptr<const FilterFactory>> createCacheFactory(const strait::v1::Cache& config,
                                                                        SharedState* shared, const std::string& scope) {
  if (absl::Status s = validateCacheConfig(config); !s.ok()) return s;
  auto settings = std::make_shared<Settings>();
  if (!config.disable_status_header()) {
    settings->status_header = config.status_header().empty() ? "x-cache" : config.status_header();
  }
  if (config.max_heuristic_seconds() > 0) settings->heuristic_cap = config.max_heuristic_seconds();
  std::shared_ptr<Store> store =
      shared->getOrCreate<Store>("cache/" + scope, [] { return std::make_shared<Store>(); });
  store->setLimits(config.max_bytes() ? config.max_bytes() : kDefaultMaxBytes,
                   config.max_object_bytes() ? config.max_object_bytes() : kDefaultMaxObject);
  return std::make_shared<CacheFactory>(std::move(store), std::move(settings));
}

}  // namespace strait::filters::cache
