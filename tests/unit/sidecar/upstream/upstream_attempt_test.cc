// UpstreamAttempt on its own, over a fake pool: the accounting it holds (the endpoint's
// active requests, the cluster's pending requests while connecting), how each kind of
// upstream failure becomes a typed Failure, abandon() from inside a callback, and what it
// reports to outlier detection.
#include "sidecar/upstream/upstream_attempt.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "tests/unit/sidecar/fakes/fake_worker_context.h"
#include "tests/unit/sidecar/fakes/test_config.h"

namespace strait::proxy::testing {
namespace {

using Kind = UpstreamFailure::Kind;
using http::ResponseFlag;

class AttemptTest : public ::testing::Test, public UpstreamAttempt::Callbacks {
 protected:
  void SetUp() override { useCluster(testCluster("c", {1})); }
  void TearDown() override {
    UpstreamAttempt::abandon(std::move(attempt_));
    ctx_.runPending();
  }
  void useCluster(std::shared_ptr<const ClusterInfo> c) {
    cluster_ = std::move(c);
    ctx_.setSnapshot(testSnapshot({cluster_}));
  }
  const EndpointInfo& endpoint() { return cluster_->endpoints[0]; }
  FakePool& pool() { return ctx_.cm().fakePool(endpoint()); }
  FakeExchange& startAttempt(UpstreamAttempt::Options options = {}) {
    UpstreamAttempt::abandon(std::move(attempt_));
    failure_.reset();
    attempt_ = std::make_unique<UpstreamAttempt>(ctx_, *cluster_, endpoint(), *this, options);
    http::RequestHead head;
    head.method = "GET";
    head.target = "/";
    EXPECT_EQ(attempt_->start(head, http::BodyFraming::kNone, true), UpstreamPool::Result::kOk);
    return *ctx_.cm().exchanges.back();
  }

  void onAttemptHead(http::ResponseHead&& head, http::BodyFraming, uint64_t) override {
    status_ = head.status;
    if (abandon_on_head_) UpstreamAttempt::abandon(std::move(attempt_));
  }
  void onAttemptData(const char* data, size_t len) override { body_.append(data, len); }
  void onAttemptTrailers(http::HeaderMap&&) override {}
  void onAttemptEnd() override { ended_ = true; }
  void onAttemptFailed(const UpstreamAttempt::Failure& f) override { failure_ = f; }
  void onAttemptWriteWatermark(bool) override {}

  FakeWorkerContext ctx_;
  std::shared_ptr<const ClusterInfo> cluster_;
  std::unique_ptr<UpstreamAttempt> attempt_;
  std::optional<UpstreamAttempt::Failure> failure_;
  int status_ = 0;
  std::string body_;
  bool ended_ = false;
  bool abandon_on_head_ = false;
};

TEST_F(AttemptTest, HoldsPendingWhileConnectingAndActiveUntilTheEnd) {
  pool().connecting = true;
  FakeExchange& ex = startAttempt();
  EXPECT_EQ(cluster_->state->pending_requests.load(), 1u);
  EXPECT_EQ(endpoint().state->active_requests.load(), 1u);
  ex.connect();
  EXPECT_EQ(cluster_->state->pending_requests.load(), 0u);
  EXPECT_EQ(endpoint().state->active_requests.load(), 1u);
  ex.respond(200, "body");
  EXPECT_EQ(status_, 200);
  EXPECT_EQ(body_, "body");
  EXPECT_TRUE(ended_);
  EXPECT_EQ(endpoint().state->active_requests.load(), 0u);
}

TEST_F(AttemptTest, EachFailureKindIsTyped) {
  struct Case {
    Kind kind;
    ResponseFlag flag;
    int status;
    bool not_processed;
  };
  const Case cases[] = {
      {Kind::kConnectFailure, ResponseFlag::kUpstreamConnectFailure, 502, false},
      {Kind::kReset, ResponseFlag::kUpstreamReset, 502, false},
      {Kind::kProtocolError, ResponseFlag::kUpstreamProtocolError, 502, false},
      {Kind::kNotProcessed, ResponseFlag::kUpstreamReset, 502, true},
  };
  for (const Case& c : cases) {
    FakeExchange& ex = startAttempt();
    ex.fail(c.kind, "why");
    ASSERT_TRUE(failure_.has_value());
    EXPECT_EQ(failure_->flag, c.flag);
    EXPECT_EQ(failure_->status, c.status);
    EXPECT_EQ(failure_->details, "why");
    EXPECT_EQ(failure_->not_processed, c.not_processed);
    EXPECT_EQ(endpoint().state->active_requests.load(), 0u);
  }
  // Only the reset counts as one at once; a not-processed failure is the owner's to report.
  EXPECT_EQ(ctx_.stats().upstream_rq_reset.load(), 1u);
  EXPECT_EQ(ctx_.stats().upstream_cx_connect_fail.load(), 1u);
}

TEST_F(AttemptTest, AbandonInsideACallbackStopsEverything) {
  abandon_on_head_ = true;
  FakeExchange& ex = startAttempt();
  UpstreamStreamCallbacks* cb = ex.callbacks;
  ex.respond(200, "", /*end=*/false);
  EXPECT_EQ(attempt_, nullptr);
  EXPECT_TRUE(ex.cancelled);
  EXPECT_FALSE(ex.destroyed);  // deleted later, not inside its own callback
  cb->onUpstreamData("late", 4);  // a stream that still calls back is ignored
  cb->onUpstreamEnd();
  EXPECT_EQ(body_, "");
  EXPECT_FALSE(ended_);
  ctx_.runPending();
  EXPECT_TRUE(ex.destroyed);
  EXPECT_EQ(endpoint().state->active_requests.load(), 0u);
}

TEST_F(AttemptTest, PerTryTimeoutRunsFromTheRequestEndToTheHead) {
  UpstreamAttempt::Options options;
  options.per_try_timeout_ms = 20;
  FakeExchange& ex = startAttempt(options);
  ASSERT_TRUE(ctx_.runUntil([&] { return failure_.has_value(); }));
  EXPECT_EQ(failure_->flag, ResponseFlag::kUpstreamPerTryTimeout);
  EXPECT_EQ(failure_->status, 504);
  EXPECT_TRUE(ex.live());  // the owner abandons it
  // A head in time stops it.
  FakeExchange& ok = startAttempt(options);
  ok.respond(200, "", /*end=*/false);
  int64_t until = ctx_.dispatcher().nowMs() + 40;
  ctx_.runUntil([&] { return ctx_.dispatcher().nowMs() >= until; });
  EXPECT_FALSE(failure_.has_value());
}

TEST_F(AttemptTest, OutlierDetectionSeesResponsesButNotUnprocessedRequests) {
  useCluster(testCluster("c", {1}, [](strait::v1::Cluster& c) {
    c.mutable_outlier_detection()->set_consecutive_5xx(2);
    c.mutable_outlier_detection()->set_max_ejection_percent(100);  // the only endpoint may go
  }));
  startAttempt().fail(Kind::kNotProcessed);
  EXPECT_EQ(endpoint().state->consecutive_5xx.load(), 0u);
  startAttempt().respond(503);
  EXPECT_EQ(endpoint().state->consecutive_5xx.load(), 1u);
  startAttempt().respond(503);
  EXPECT_EQ(ctx_.stats().outlier_ejections.load(), 1u);
  EXPECT_FALSE(endpoint().state->available(ctx_.dispatcher().nowMs()));
}

}  // namespace
}  // namespace strait::proxy::testing
