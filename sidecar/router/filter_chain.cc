#include "sidecar/router/filter_chain.h"

#include "sidecar/router/header_utils.h"
#include "sidecar/router/router_stream.h"

namespace strait::proxy {

// One filter's view of the stream: responses it makes start below it in the chain.
class FilterChain::Slot final : public filters::FilterCallbacks {
 public:
  Slot(FilterChain& chain, size_t index) : chain_(chain), index_(index) {}
  event::Dispatcher& dispatcher() override { return chain_.owner_.filterDispatcher(); }
  filters::StreamInfo& streamInfo() override { return chain_.info_; }
  void continueRequest() override {
    if (!chain_.holding_ || chain_.responding_) return;
    if (chain_.running_) {
      chain_.continue_requested_ = true;
      return;
    }
    chain_.runRequestFilters();
  }
  void sendLocalReply(int status, std::string_view body, std::string_view details,
                      const http::HeaderMap* headers) override {
    chain_.localReply(index_, status, body, details, headers);
  }
  void encodeHead(http::ResponseHead&& head, bool end_stream) override {
    if (!chain_.takeResponse()) return;
    http::BodyFraming framing;
    uint64_t length;
    http::framingFromHead(head.headers, end_stream, &framing, &length);
    chain_.headFrom(index_, std::move(head), framing, length);
    if (end_stream) chain_.completeFrom(index_, nullptr);
  }
  void encodeData(const char* data, size_t len, bool end_stream) override {
    if (!chain_.responding_) return;
    chain_.dataFrom(index_, data, len);
    if (end_stream) chain_.completeFrom(index_, nullptr);
  }
  void encodeComplete(const http::HeaderMap* trailers) override {
    if (chain_.responding_) chain_.completeFrom(index_, trailers);
  }
  void readDisableDownstream(bool disable) override { chain_.owner_.filterReadDisable(disable); }
  bool sendBackgroundRequest(const http::RequestHead& head,
                             std::unique_ptr<filters::BackgroundResponseHandler> handler) override {
    return chain_.owner_.filterBackgroundRequest(head, std::move(handler));
  }
  bool responseFiltersAfter() const override { return index_ + 1 != chain_.filters_.size(); }
  void resetStream() override {
    if (chain_.reset_) return;
    chain_.reset_ = true;  // nothing more reaches the sink
    chain_.owner_.filterResetStream();
  }

 private:
  FilterChain& chain_;
  size_t index_;
};

FilterChain::FilterChain(Owner& owner, const std::vector<std::shared_ptr<const filters::FilterFactory>>& factories,
                         filters::StreamInfo& info)
    : owner_(owner), info_(info) {
  for (const auto& factory : factories) {
    std::unique_ptr<filters::StreamFilter> f = factory->create();
    if (!f) continue;
    slots_.push_back(std::make_unique<Slot>(*this, filters_.size()));
    f->setCallbacks(*slots_.back());
    filters_.push_back(std::move(f));
  }
}

// The filters go first: a filter's destructor may still use its callbacks (the WAF writes
// its audit line from the stream's info).
FilterChain::~FilterChain() { filters_.clear(); }

bool FilterChain::takeResponse() {
  if (responding_ || passed_response_) return false;
  responding_ = true;
  holding_ = false;
  owner_.onFilterResponse();
  return true;
}

void FilterChain::startRequest(http::RequestHead& head, bool end_stream) {
  head_ = &head;
  end_stream_ = end_stream;
  next_ = 0;
  runRequestFilters();
}

void FilterChain::runRequestFilters() {
  running_ = true;
  holding_ = false;
  while (next_ < filters_.size()) {
    continue_requested_ = false;
    filters::FilterStatus status = filters_[next_++]->onRequestHead(*head_, end_stream_);
    if (responding_) break;
    if (status == filters::FilterStatus::kStop && !continue_requested_) {
      holding_ = true;
      break;
    }
  }
  running_ = false;
  if (!holding_ && !responding_) {
    passed_ = true;
    owner_.onFiltersPassed();
  }
}

bool FilterChain::requestData(const char* data, size_t len) {
  for (auto& f : filters_) {
    if (responding_) return false;
    f->onRequestData(data, len);
  }
  return !responding_;
}

void FilterChain::heldData(const char* data, size_t len) {
  if (holding_ && !responding_ && next_ > 0) filters_[next_ - 1]->onHeldRequestData(data, len);
}

void FilterChain::heldEnd() {
  if (holding_ && !responding_ && next_ > 0) filters_[next_ - 1]->onHeldRequestEnd();
}

void FilterChain::localReply(size_t index, int status, std::string_view body, std::string_view details,
                             const http::HeaderMap* headers) {
  if (!takeResponse()) return;
  // The typed failure: the filter's own (rate limited, denied) or "a filter answered".
  http::ResponseFlag flag = info_.failure != http::ResponseFlag::kNone ? info_.failure : http::ResponseFlag::kFilterReply;
  info_.fail(flag, details);
  info_.response_code = status;
  http::ResponseHead head;
  head.status = status;
  if (headers != nullptr) head.headers = *headers;
  head.headers.set("content-type", "text/plain");
  head.headers.set("content-length", std::to_string(body.size()));
  if (!details.empty()) head.headers.set("x-strait-local-reply", std::string(details));
  headFrom(index, std::move(head), body.empty() ? http::BodyFraming::kNone : http::BodyFraming::kContentLength,
           body.size());
  if (!body.empty()) dataFrom(index, body.data(), body.size());
  completeFrom(index, nullptr);
}

void FilterChain::encodeHead(http::ResponseHead&& head, http::BodyFraming framing, uint64_t length) {
  passed_response_ = true;
  headFrom(filters_.size(), std::move(head), framing, length);
}

void FilterChain::encodeData(const char* data, size_t len) { dataFrom(filters_.size(), data, len); }

void FilterChain::encodeComplete(const http::HeaderMap* trailers) { completeFrom(filters_.size(), trailers); }

void FilterChain::onDownstreamWatermark(bool above) {
  for (auto& f : filters_) f->onDownstreamWatermark(above);
}

void FilterChain::onReset() {
  for (auto& f : filters_) f->onStreamReset();
}

void FilterChain::headFrom(size_t end, http::ResponseHead&& head, http::BodyFraming framing, uint64_t length) {
  for (size_t i = end; i-- > 0;) filters_[i]->onResponseHead(head, framing, length);
  if (reset_) return;
  owner_.filterSink().sendHeaders(std::move(head), framing, length);
}

// Body bytes through filters end-1 .. 0: observers look, transformers rewrite (into
// alternating scratch buffers, so a chunk is copied only by filters that change it).
void FilterChain::dataFrom(size_t end, const char* data, size_t len) {
  int buf = 0;
  for (size_t i = end; i-- > 0;) {
    filters::StreamFilter& f = *filters_[i];
    if (!f.transformsBody()) {
      f.onResponseData(data, len);
      continue;
    }
    std::string& out = scratch_[buf];
    out.clear();
    f.transformResponseData(data, len, &out);
    if (reset_) return;
    data = out.data();
    len = out.size();
    buf ^= 1;
  }
  if (len > 0 && !reset_) owner_.filterSink().sendBody(data, len);
}

void FilterChain::completeFrom(size_t end, const http::HeaderMap* trailers) {
  for (size_t i = end; i-- > 0;) {
    filters::StreamFilter& f = *filters_[i];
    if (f.transformsBody()) {
      std::string tail;
      f.finishResponseData(&tail);
      if (!tail.empty()) dataFrom(i, tail.data(), tail.size());
    }
    if (reset_) return;
    f.onResponseComplete(trailers);
  }
  if (reset_) return;
  owner_.onFilterChainComplete();
  owner_.filterSink().sendComplete(trailers);
}

}  // namespace strait::proxy
