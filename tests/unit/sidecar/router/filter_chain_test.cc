// FilterChain with recording filters: request filters run in order and response filters in
// reverse; a filter's local reply skips the later filters and passes only through the earlier
// ones; a held request continues later; a body transform is seen by the filters before it.
// Also through a RouterStream: a filter's reply means no upstream exchange.
#include "sidecar/router/filter_chain.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "tests/unit/sidecar/router/router_stream_test_util.h"

namespace strait::proxy::testing {
namespace {

using Log = std::vector<std::string>;

// What a test filter does in onRequestHead.
enum class OnRequest { kContinue, kReply, kHold };

class RecordingFilter final : public filters::StreamFilter {
 public:
  RecordingFilter(std::string name, Log& log, OnRequest on_request, bool upper)
      : name_(std::move(name)), log_(log), on_request_(on_request), upper_(upper) {}
  filters::FilterStatus onRequestHead(http::RequestHead&, bool) override {
    log_.push_back("req:" + name_);
    if (on_request_ == OnRequest::kReply) callbacks_->sendLocalReply(403, "no", "denied_by_" + name_);
    return on_request_ == OnRequest::kContinue ? filters::FilterStatus::kContinue : filters::FilterStatus::kStop;
  }
  void onResponseHead(http::ResponseHead&, http::BodyFraming&, uint64_t&) override { log_.push_back("resp:" + name_); }
  void onResponseData(const char* data, size_t len) override { log_.push_back(name_ + " saw " + std::string(data, len)); }
  bool transformsBody() const override { return upper_; }
  void transformResponseData(const char* data, size_t len, std::string* out) override {
    out->append(absl::AsciiStrToUpper(std::string(data, len)));
  }
  void onResponseComplete(const http::HeaderMap*) override { log_.push_back("done:" + name_); }
  filters::FilterCallbacks* callbacks() { return callbacks_; }

 private:
  std::string name_;
  Log& log_;
  OnRequest on_request_;
  bool upper_;
};

class RecordingFactory final : public filters::FilterFactory {
 public:
  RecordingFactory(std::string name, Log& log, OnRequest on_request = OnRequest::kContinue, bool upper = false)
      : name_(std::move(name)), log_(log), on_request_(on_request), upper_(upper) {}
  std::string_view kind() const override { return "recording"; }
  std::unique_ptr<filters::StreamFilter> create() const override {
    auto f = std::make_unique<RecordingFilter>(name_, log_, on_request_, upper_);
    last = f.get();
    return f;
  }
  mutable RecordingFilter* last = nullptr;

 private:
  std::string name_;
  Log& log_;
  OnRequest on_request_;
  bool upper_;
};

class FakeOwner final : public FilterChain::Owner {
 public:
  event::Dispatcher& filterDispatcher() override { return dispatcher; }
  http::StreamSink& filterSink() override { return sink; }
  void onFiltersPassed() override { passed++; }
  void onFilterResponse() override { filter_responses++; }
  void filterReadDisable(bool) override {}
  void filterResetStream() override { resets++; }
  void onFilterChainComplete() override { completed++; }
  bool filterBackgroundRequest(const http::RequestHead&, std::unique_ptr<filters::BackgroundResponseHandler>) override {
    return false;
  }
  event::Dispatcher dispatcher;
  FakeSink sink;
  int passed = 0, filter_responses = 0, resets = 0, completed = 0;
};

class FilterChainTest : public ::testing::Test {
 protected:
  std::shared_ptr<RecordingFactory> add(const std::string& name, OnRequest on = OnRequest::kContinue,
                                        bool upper = false) {
    auto f = std::make_shared<RecordingFactory>(name, log_, on, upper);
    factories_.push_back(f);
    return f;
  }
  FilterChain& chain() {
    if (!chain_) chain_ = std::make_unique<FilterChain>(owner_, factories_, info_);
    return *chain_;
  }
  void respond(const std::string& body) {
    http::ResponseHead head;
    head.status = 200;
    chain().encodeHead(std::move(head), http::BodyFraming::kContentLength, body.size());
    chain().encodeData(body.data(), body.size());
    chain().encodeComplete(nullptr);
  }
  Log log_;
  std::vector<std::shared_ptr<const filters::FilterFactory>> factories_;
  FakeOwner owner_;
  http::StreamInfo info_;
  http::RequestHead head_;
  std::unique_ptr<FilterChain> chain_;
};

TEST_F(FilterChainTest, RequestInOrderResponseInReverse) {
  add("a");
  add("b");
  add("c");
  chain().startRequest(head_, true);
  EXPECT_EQ(owner_.passed, 1);
  respond("x");
  EXPECT_EQ(log_, (Log{"req:a", "req:b", "req:c", "resp:c", "resp:b", "resp:a", "c saw x", "b saw x", "a saw x",
                       "done:c", "done:b", "done:a"}));
  EXPECT_EQ(owner_.sink.status(), 200);
  EXPECT_TRUE(owner_.sink.complete);
  EXPECT_EQ(owner_.completed, 1);
}

TEST_F(FilterChainTest, LocalReplySkipsLaterFiltersAndPassesEarlierOnes) {
  add("a");
  add("b", OnRequest::kReply);
  add("c");
  chain().startRequest(head_, true);
  EXPECT_EQ(owner_.passed, 0);
  EXPECT_EQ(owner_.filter_responses, 1);
  EXPECT_TRUE(chain().responding());
  EXPECT_EQ(log_, (Log{"req:a", "req:b", "resp:a", "a saw no", "done:a"}));
  EXPECT_EQ(owner_.sink.status(), 403);
  EXPECT_EQ(owner_.sink.header("x-strait-local-reply"), "denied_by_b");
  EXPECT_EQ(owner_.sink.body, "no");
  EXPECT_FALSE(chain().requestData("x", 1));  // the request side is over
}

TEST_F(FilterChainTest, HeldRequestContinuesLater) {
  add("a");
  auto b = add("b", OnRequest::kHold);
  add("c");
  chain().startRequest(head_, true);
  EXPECT_TRUE(chain().holding());
  EXPECT_EQ(owner_.passed, 0);
  EXPECT_EQ(log_, (Log{"req:a", "req:b"}));
  b->last->callbacks()->continueRequest();
  EXPECT_FALSE(chain().holding());
  EXPECT_EQ(owner_.passed, 1);
  EXPECT_EQ(log_.back(), "req:c");
}

TEST_F(FilterChainTest, TransformedBodyIsWhatEarlierFiltersSee) {
  add("a");
  add("up", OnRequest::kContinue, /*upper=*/true);
  add("c");
  chain().startRequest(head_, true);
  respond("hi");
  EXPECT_EQ(owner_.sink.body, "HI");
  EXPECT_NE(std::find(log_.begin(), log_.end(), "c saw hi"), log_.end());
  EXPECT_NE(std::find(log_.begin(), log_.end(), "a saw HI"), log_.end());
}

TEST_F(FilterChainTest, ResetStreamStopsTheSink) {
  auto a = add("a");
  chain().startRequest(head_, true);
  http::ResponseHead head;
  chain().encodeHead(std::move(head), http::BodyFraming::kChunked, 0);
  a->last->callbacks()->resetStream();
  chain().encodeData("late", 4);
  chain().encodeComplete(nullptr);
  EXPECT_EQ(owner_.resets, 1);
  EXPECT_EQ(owner_.sink.body, "");
  EXPECT_FALSE(owner_.sink.complete);
}

// Through the router's stream: a filter's reply, no upstream request.
class RouterFilterTest : public RouterStreamTest {};

TEST_F(RouterFilterTest, FilterReplyMakesNoUpstreamExchange) {
  Log log;
  route_->filters.push_back(std::make_shared<RecordingFactory>("a", log));
  route_->filters.push_back(std::make_shared<RecordingFactory>("deny", log, OnRequest::kReply));
  start();
  EXPECT_EQ(sink_.status(), 403);
  EXPECT_TRUE(sink_.complete);
  EXPECT_EQ(ctx_.exchangeCount(), 0u);
  EXPECT_TRUE(stream_->responseComplete());
}

TEST_F(RouterFilterTest, UpstreamFailureGoesThroughResponseFilters) {
  Log log;
  route_->filters.push_back(std::make_shared<RecordingFactory>("a", log));
  start();
  ASSERT_EQ(ctx_.exchangeCount(), 1u);
  ex(0).fail(UpstreamFailure::Kind::kReset);
  EXPECT_EQ(sink_.status(), 502);  // a local reply rendered through the filters
  EXPECT_EQ(sink_.header("x-strait-local-reply"), "upstream_reset_before_response_complete");
  ASSERT_EQ(log.size(), 4u);  // req, resp, the body seen, done
  EXPECT_EQ(log[1], "resp:a");
  EXPECT_EQ(log[3], "done:a");
}

}  // namespace
}  // namespace strait::proxy::testing
