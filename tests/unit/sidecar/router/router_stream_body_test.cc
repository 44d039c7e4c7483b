// RouterStream with fake upstream streams: the request body kept and replayed on a retry (or
// not, past max_replay_body_bytes), circuit-breaker overflows, a downstream reset, and
// backpressure each way.
#include "tests/unit/sidecar/router/router_stream_test_util.h"

namespace strait::proxy::testing {
namespace {

using Kind = UpstreamFailure::Kind;
using http::BodyFraming;
using http::ResponseFlag;

TEST_F(RouterStreamTest, BodyIsStreamedAndReplayedOnRetry) {
  retryOn(RetryPolicy::k5xx);
  start(BodyFraming::kContentLength);
  EXPECT_FALSE(ex(0).end_stream);
  body("abc");
  body("def");
  stream_->onRequestComplete();
  EXPECT_EQ(ex(0).body, "abcdef");
  EXPECT_TRUE(ex(0).ended);
  ex(0).respond(500);
  ASSERT_TRUE(waitExchange(1));
  EXPECT_EQ(ex(1).body, "abcdef");  // the kept body, sent again
  EXPECT_TRUE(ex(1).ended);
  ex(1).respond(200, "done");
  EXPECT_EQ(sink_.status(), 200);
  EXPECT_EQ(info().bytes_received, 6u);
}

TEST_F(RouterStreamTest, RetryBeforeTheBodyEndedSendsTheRestLater) {
  retryOn(RetryPolicy::kReset);
  start(BodyFraming::kContentLength);
  body("abc");
  ex(0).fail(Kind::kReset);
  ASSERT_TRUE(waitExchange(1));
  EXPECT_EQ(ex(1).body, "abc");
  EXPECT_FALSE(ex(1).ended);
  body("def");
  stream_->onRequestComplete();
  EXPECT_EQ(ex(1).body, "abcdef");
  EXPECT_TRUE(ex(1).ended);
}

TEST_F(RouterStreamTest, NoRetryWhenTheBodyExceededTheReplayLimit) {
  retryOn(RetryPolicy::k5xx);
  route_->retry.max_replay_body_bytes = 4;
  start(BodyFraming::kContentLength);
  body("abc");
  body("def");  // 6 bytes: no longer kept
  stream_->onRequestComplete();
  EXPECT_EQ(ex(0).body, "abcdef");  // still streamed upstream
  ex(0).respond(503, "busy");
  ctx_.runPending();
  EXPECT_EQ(ctx_.exchangeCount(), 1u);
  EXPECT_EQ(sink_.status(), 503);  // the upstream's answer goes through
  EXPECT_EQ(sink_.body, "busy");
}

TEST_F(RouterStreamTest, BodyOutgrowingTheLimitDuringBackoffFails502) {
  retryOn(RetryPolicy::kReset);
  route_->retry.max_replay_body_bytes = 4;
  route_->retry.base_interval_ms = 1000;
  ctx_.random_value = 500;  // backoff 500 ms: the body below arrives meanwhile
  start(BodyFraming::kContentLength);
  body("ab");
  ex(0).fail(Kind::kReset);
  EXPECT_TRUE(sink_.read_disabled);  // reads pause during the backoff
  body("cdef");
  EXPECT_EQ(sink_.local_status, 502);
  EXPECT_EQ(sink_.local_details, "upstream_retry_body_too_large");
  EXPECT_EQ(info().failure, ResponseFlag::kRetryBodyTooLarge);
  EXPECT_FALSE(sink_.read_disabled);
  ctx_.runPending();
  EXPECT_EQ(ctx_.exchangeCount(), 1u);
}

TEST_F(RouterStreamTest, OverflowOfMaxRequestsIs503) {
  useCluster(testCluster("c", {1}, [](strait::v1::Cluster& c) { c.mutable_circuit_breakers()->set_max_requests(1); }));
  start();
  FakeSink second_sink;
  std::unique_ptr<RouterStream> second;
  start(BodyFraming::kNone, &second_sink, &second);
  EXPECT_EQ(second_sink.local_status, 503);
  EXPECT_EQ(second_sink.local_details, "overflow_max_requests");
  EXPECT_EQ(second->streamInfo().failure, ResponseFlag::kOverflow);
  EXPECT_EQ(clusterState().overflows[ClusterState::kMaxRequests].load(), 1u);
  EXPECT_EQ(ctx_.exchangeCount(), 1u);
  second.reset();
  ex(0).respond(200);
  EXPECT_EQ(sink_.status(), 200);
}

TEST_F(RouterStreamTest, OverflowOfMaxConnectionsIs503) {
  ctx_.cm().fakePool(cluster_->endpoints[0]).results.push_back(UpstreamPool::Result::kOverflowConnections);
  retryOn(RetryPolicy::k5xx);  // an overflow is not retried
  start();
  EXPECT_EQ(sink_.local_status, 503);
  EXPECT_EQ(sink_.local_details, "overflow_max_connections");
  EXPECT_EQ(clusterState().overflows[ClusterState::kMaxConnections].load(), 1u);
  EXPECT_EQ(cluster_->endpoints[0].state->active_requests.load(), 0u);
}

TEST_F(RouterStreamTest, OverflowOfMaxPendingRequestsIs503) {
  ctx_.cm().fakePool(cluster_->endpoints[0]).results.push_back(UpstreamPool::Result::kOverflowPending);
  start();
  EXPECT_EQ(sink_.local_status, 503);
  EXPECT_EQ(sink_.local_details, "overflow_max_pending_requests");
}

TEST_F(RouterStreamTest, RetryBudgetExhaustedForwardsTheFailure) {
  useCluster(testCluster("c", {1, 1}, [](strait::v1::Cluster& c) { c.mutable_circuit_breakers()->set_max_retries(1); }));
  retryOn(RetryPolicy::kReset, 3);
  clusterState().active_retries = 1;  // another request's retry holds the only slot
  start();
  ex(0).fail(Kind::kReset);
  EXPECT_EQ(sink_.local_status, 502);
  EXPECT_EQ(clusterState().retries_overflowed.load(), 1u);
  clusterState().active_retries = 0;
}

TEST_F(RouterStreamTest, DownstreamResetCancelsTheUpstreamStream) {
  start(BodyFraming::kContentLength);
  body("abc");
  stream_->reset();
  EXPECT_TRUE(ex(0).cancelled);
  EXPECT_TRUE(info().hasFlag(ResponseFlag::kDownstreamDisconnect));
  EXPECT_EQ(cluster_->endpoints[0].state->active_requests.load(), 0u);
  ctx_.runPending();
  EXPECT_TRUE(ex(0).destroyed);
  body("def");  // late body is dropped
  EXPECT_EQ(ex(0).body, "abc");
  EXPECT_FALSE(sink_.complete);
}

TEST_F(RouterStreamTest, DownstreamResetDuringBackoffMakesNoNewAttempt) {
  retryOn(RetryPolicy::kReset);
  route_->retry.base_interval_ms = 1000;
  ctx_.random_value = 20;  // 20 ms backoff
  start();
  ex(0).fail(Kind::kReset);
  stream_->reset();
  int64_t until = ctx_.dispatcher().nowMs() + 40;
  ctx_.runUntil([&] { return ctx_.dispatcher().nowMs() >= until; });
  EXPECT_EQ(ctx_.exchangeCount(), 1u);
}

TEST_F(RouterStreamTest, DownstreamWatermarkPausesTheUpstream) {
  retryOn(RetryPolicy::kReset);
  start();
  stream_->onDownstreamWatermark(true);
  EXPECT_TRUE(ex(0).read_disabled);
  ex(0).fail(Kind::kReset);
  ASSERT_TRUE(waitExchange(1));
  EXPECT_TRUE(ex(1).read_disabled);  // a new attempt starts paused
  stream_->onDownstreamWatermark(false);
  EXPECT_FALSE(ex(1).read_disabled);
}

TEST_F(RouterStreamTest, UpstreamWriteWatermarkPausesDownstreamReads) {
  start(BodyFraming::kContentLength);
  ex(0).callbacks->onUpstreamWriteWatermark(true);
  EXPECT_TRUE(sink_.read_disabled);
  ex(0).callbacks->onUpstreamWriteWatermark(false);
  EXPECT_FALSE(sink_.read_disabled);
}

TEST_F(RouterStreamTest, ClusterNotFoundIs503) {
  route_ = testRoute("missing");
  start();
  EXPECT_EQ(sink_.local_status, 503);
  EXPECT_EQ(sink_.local_details, "cluster_not_found");
  EXPECT_EQ(ctx_.exchangeCount(), 0u);
}

TEST_F(RouterStreamTest, NoAvailableEndpointIs503) {
  useCluster(testCluster("c", {1}, [](strait::v1::Cluster& c) { c.set_healthy_panic_threshold(0); }));
  cluster_->endpoints[0].state->health_check_failed = true;
  start();
  EXPECT_EQ(sink_.local_status, 503);
  EXPECT_EQ(sink_.local_details, "no_healthy_upstream");
}

}  // namespace
}  // namespace strait::proxy::testing
