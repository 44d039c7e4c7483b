// RouterStream and UpstreamAttempt as a state machine, through fake upstream streams: the
// success path, retries (on status, on reset, on connect failure, to another endpoint), the
// transparent retry of a not-processed request, connect and per-try and route timeouts, and
// the local replies each failure becomes. Body replay, overflow, resets and backpressure are
// in router_stream_body_test.cc.
#include "sidecar/upstream/load_balancer.h"
#include "tests/unit/sidecar/router/router_stream_test_util.h"

namespace strait::proxy::testing {
namespace {

using Kind = UpstreamFailure::Kind;
using http::ResponseFlag;

TEST_F(RouterStreamTest, SuccessForwardsTheResponseAndReleasesTheAttempt) {
  start();
  ASSERT_EQ(ctx_.exchangeCount(), 1u);
  FakeExchange& up = ex(0);
  EXPECT_TRUE(up.end_stream);
  EXPECT_EQ(*up.head.headers.get("x-forwarded-for"), "10.1.2.3");
  EXPECT_EQ(*up.head.headers.get("x-request-id"), "req-1");
  EXPECT_EQ(up.head.headers.get("x-strait-attempt-count"), nullptr);  // no retry policy
  EXPECT_EQ(up.endpoint->state->active_requests.load(), 1u);
  EXPECT_EQ(clusterState().active_requests.load(), 1u);
  up.respond(200, "hello");
  EXPECT_EQ(sink_.status(), 200);
  EXPECT_EQ(sink_.body, "hello");
  EXPECT_TRUE(sink_.complete);
  EXPECT_TRUE(stream_->responseComplete());
  EXPECT_EQ(info().attempts, 1u);
  EXPECT_EQ(info().response_code, 200);
  EXPECT_EQ(info().upstream_host, up.endpoint->host);
  EXPECT_EQ(up.endpoint->state->active_requests.load(), 0u);
  // The finished attempt (and its upstream stream) goes with the stream, itself deleted
  // deferred by its session: no deferred deletion of its own.
  ctx_.runPending();
  EXPECT_FALSE(up.destroyed);
  stream_.reset();
  EXPECT_TRUE(up.destroyed);
  EXPECT_EQ(clusterState().active_requests.load(), 0u);
}

TEST_F(RouterStreamTest, RetryOn5xxGoesToAnotherEndpoint) {
  // Weights 3:1: the balancer alone picks endpoint 0 twice in a row, so a retry on endpoint 1
  // shows the failed endpoint was excluded.
  useCluster(testCluster("c", {3, 1}));
  {
    LoadBalancer lb(cluster_);
    EXPECT_EQ(lb.pick({}), 0);
    EXPECT_EQ(lb.pick({}), 0);
  }
  retryOn(RetryPolicy::k5xx);
  start();
  EXPECT_EQ(endpointIndex(ex(0)), 0u);
  EXPECT_EQ(*ex(0).head.headers.get("x-strait-attempt-count"), "1");
  ex(0).respond(503, "busy");
  EXPECT_TRUE(ex(0).cancelled);
  EXPECT_FALSE(sink_.head.has_value());  // nothing went downstream
  ASSERT_TRUE(waitExchange(1));
  EXPECT_EQ(endpointIndex(ex(1)), 1u);
  EXPECT_EQ(*ex(1).head.headers.get("x-strait-attempt-count"), "2");
  ex(1).respond(200, "ok");
  EXPECT_EQ(sink_.status(), 200);
  EXPECT_EQ(sink_.body, "ok");
  EXPECT_EQ(info().attempts, 2u);
  EXPECT_EQ(clusterState().retries.load(), 1u);
  EXPECT_EQ(clusterState().active_retries.load(), 0u);
}

TEST_F(RouterStreamTest, LastAttempt5xxIsForwarded) {
  retryOn(RetryPolicy::k5xx, 1);
  start();
  ex(0).respond(503);
  ASSERT_TRUE(waitExchange(1));
  ex(1).respond(502, "bad");
  EXPECT_EQ(sink_.status(), 502);  // the upstream's own response, not a local reply
  EXPECT_EQ(sink_.local_status, 0);
  EXPECT_EQ(sink_.body, "bad");
  EXPECT_EQ(ctx_.exchangeCount(), 2u);
}

TEST_F(RouterStreamTest, RetryOnResetThenSuccess) {
  retryOn(RetryPolicy::kReset);
  start();
  ex(0).fail(Kind::kReset);
  ASSERT_TRUE(waitExchange(1));
  ex(1).respond(200);
  EXPECT_EQ(sink_.status(), 200);
  EXPECT_TRUE(info().hasFlag(ResponseFlag::kUpstreamReset));
  EXPECT_EQ(ctx_.stats().upstream_rq_reset.load(), 1u);
}

TEST_F(RouterStreamTest, ResetWithoutRetryPolicyIs502) {
  start();
  ex(0).fail(Kind::kReset);
  EXPECT_EQ(sink_.local_status, 502);
  EXPECT_EQ(sink_.local_details, "upstream_reset_before_response_complete");
  EXPECT_EQ(info().failure, ResponseFlag::kUpstreamReset);
  EXPECT_EQ(ctx_.exchangeCount(), 1u);
}

TEST_F(RouterStreamTest, ResetAfterResponseStartedResetsDownstream) {
  retryOn(RetryPolicy::kReset);
  start();
  ex(0).respond(200, "partial", /*end=*/false);
  ex(0).fail(Kind::kReset);
  EXPECT_TRUE(sink_.reset);
  EXPECT_EQ(sink_.local_status, 0);
  EXPECT_EQ(ctx_.exchangeCount(), 1u);  // nothing is retried once bytes went downstream
}

TEST_F(RouterStreamTest, ProtocolErrorIs502) {
  start();
  ex(0).fail(Kind::kProtocolError, "upstream_protocol_error");
  EXPECT_EQ(sink_.local_status, 502);
  EXPECT_EQ(sink_.local_details, "upstream_protocol_error");
  EXPECT_EQ(info().failure, ResponseFlag::kUpstreamProtocolError);
}

TEST_F(RouterStreamTest, ConnectFailureWithoutRetryIs502OnHttp1) {
  ctx_.cm().fakePool(cluster_->endpoints[0]).connecting = true;
  start();
  EXPECT_TRUE(ex(0).connecting);
  EXPECT_EQ(clusterState().pending_requests.load(), 1u);
  ex(0).fail(Kind::kConnectFailure, "upstream_connect_failure");
  EXPECT_EQ(sink_.local_status, 502);
  EXPECT_EQ(sink_.local_details, "upstream_connect_failure");
  EXPECT_EQ(info().failure, ResponseFlag::kUpstreamConnectFailure);
  EXPECT_EQ(clusterState().pending_requests.load(), 0u);
  EXPECT_EQ(ctx_.stats().upstream_cx_connect_fail.load(), 1u);
}

TEST_F(RouterStreamTest, ConnectFailureWithoutRetryIs503OnHttp2) {
  useCluster(testCluster("c", {1}, [](strait::v1::Cluster& c) { c.set_protocol(strait::v1::Cluster::HTTP2); }));
  start();
  ex(0).fail(Kind::kConnectFailure, "upstream_connect_failure");
  EXPECT_EQ(sink_.local_status, 503);
  EXPECT_EQ(sink_.local_details, "upstream_connect_failure");
}

TEST_F(RouterStreamTest, ConnectFailureRetriedWithConnectFailurePolicy) {
  retryOn(RetryPolicy::kConnectFailure);
  ctx_.cm().fakePool(cluster_->endpoints[0]).connecting = true;
  start();
  ex(0).fail(Kind::kConnectFailure, "upstream_connect_failure");
  ASSERT_TRUE(waitExchange(1));
  EXPECT_EQ(endpointIndex(ex(1)), 1u);
  ex(1).respond(204);
  EXPECT_EQ(sink_.status(), 204);
  EXPECT_TRUE(info().hasFlag(ResponseFlag::kUpstreamConnectFailure));
}

TEST_F(RouterStreamTest, NoSocketFromThePoolIs503) {
  ctx_.cm().fakePool(cluster_->endpoints[0]).results.push_back(UpstreamPool::Result::kNoConnection);
  start();
  EXPECT_EQ(sink_.local_status, 503);
  EXPECT_EQ(sink_.local_details, "upstream_socket_failure");
}

TEST_F(RouterStreamTest, ConnectTimeoutIs503) {
  useCluster(testCluster("c", {1}, [](strait::v1::Cluster& c) { c.mutable_connect_timeout()->set_nanos(20000000); }));
  ctx_.cm().fakePool(cluster_->endpoints[0]).connecting = true;
  start();
  ASSERT_TRUE(waitResponse());
  EXPECT_EQ(sink_.local_status, 503);
  EXPECT_EQ(sink_.local_details, "upstream_connect_timeout");
  EXPECT_EQ(info().failure, ResponseFlag::kUpstreamConnectTimeout);
  EXPECT_TRUE(ex(0).cancelled);
  EXPECT_EQ(clusterState().pending_requests.load(), 0u);
}

TEST_F(RouterStreamTest, PerTryTimeoutWithoutRetryIs504) {
  route_->retry.per_try_timeout_ms = 20;
  start();
  ASSERT_TRUE(waitResponse());
  EXPECT_EQ(sink_.local_status, 504);
  EXPECT_EQ(sink_.local_details, "upstream_per_try_timeout");
  EXPECT_EQ(ctx_.stats().upstream_rq_timeout.load(), 1u);
}

TEST_F(RouterStreamTest, PerTryTimeoutIsRetried) {
  retryOn(RetryPolicy::kGatewayError);
  route_->retry.per_try_timeout_ms = 20;
  start();
  ASSERT_TRUE(waitExchange(1));
  EXPECT_TRUE(ex(0).cancelled);
  EXPECT_FALSE(sink_.complete);
  ex(1).respond(200);
  EXPECT_EQ(sink_.status(), 200);
  EXPECT_TRUE(info().hasFlag(ResponseFlag::kUpstreamPerTryTimeout));
}

TEST_F(RouterStreamTest, PerTryTimeoutStartsOnlyOnceConnected) {
  route_->retry.per_try_timeout_ms = 20;
  ctx_.cm().fakePool(cluster_->endpoints[0]).connecting = true;
  start();
  // Well past the per-try timeout while connecting (the connect timeout is 5 s): no failure.
  int64_t until = ctx_.dispatcher().nowMs() + 60;
  ctx_.runUntil([&] { return ctx_.dispatcher().nowMs() >= until; });
  EXPECT_FALSE(sink_.complete);
  ex(0).connect();
  ASSERT_TRUE(waitResponse());
  EXPECT_EQ(sink_.local_details, "upstream_per_try_timeout");
}

TEST_F(RouterStreamTest, RouteTimeoutIs504AndCancelsTheAttempt) {
  route_->timeout_ms = 30;
  retryOn(RetryPolicy::k5xx, 3);  // the route timeout bounds all attempts
  start();
  ASSERT_TRUE(waitResponse());
  EXPECT_EQ(sink_.local_status, 504);
  EXPECT_EQ(sink_.local_details, "upstream_response_timeout");
  EXPECT_EQ(info().failure, ResponseFlag::kUpstreamRequestTimeout);
  EXPECT_TRUE(ex(0).cancelled);
  EXPECT_EQ(ctx_.exchangeCount(), 1u);
  EXPECT_EQ(ctx_.stats().upstream_rq_timeout.load(), 1u);
}

TEST_F(RouterStreamTest, NotProcessedGetsExactlyOneTransparentRetry) {
  start();  // no retry policy at all
  EXPECT_FALSE(ex(0).fresh);
  ex(0).fail(Kind::kNotProcessed);
  ASSERT_TRUE(waitExchange(1));
  EXPECT_TRUE(ex(1).fresh);  // on a new connection
  EXPECT_EQ(ctx_.stats().upstream_rq_reset.load(), 0u);
  ex(1).fail(Kind::kNotProcessed);
  EXPECT_EQ(sink_.local_status, 502);  // the second one is a reset after all
  EXPECT_EQ(info().failure, ResponseFlag::kUpstreamReset);
  EXPECT_EQ(ctx_.stats().upstream_rq_reset.load(), 1u);
  EXPECT_EQ(clusterState().retries.load(), 0u);  // not counted as a retry
  ctx_.runPending();
  EXPECT_EQ(ctx_.exchangeCount(), 2u);
}

TEST_F(RouterStreamTest, TransparentRetryDoesNotUseUpTheRetryPolicy) {
  retryOn(RetryPolicy::kReset, 1);
  start();
  ex(0).fail(Kind::kNotProcessed);
  ASSERT_TRUE(waitExchange(1));
  ex(1).fail(Kind::kReset);
  ASSERT_TRUE(waitExchange(2));  // the policy's one retry is still there
  EXPECT_FALSE(ex(2).fresh);
  ex(2).respond(200);
  EXPECT_EQ(sink_.status(), 200);
  EXPECT_EQ(info().attempts, 3u);
}

TEST_F(RouterStreamTest, InterimResponsesPassExcept100) {
  start();
  ex(0).respond(100, "", false);
  ex(0).respond(103, "", false);
  EXPECT_EQ(sink_.interim, std::vector<int>{103});
  ex(0).respond(200);
  EXPECT_EQ(sink_.status(), 200);
}

TEST_F(RouterStreamTest, StreamIdleTimeoutIs504) {
  route_->idle_timeout_ms = 20;
  start();
  ASSERT_TRUE(waitResponse());
  EXPECT_EQ(sink_.local_status, 504);
  EXPECT_EQ(sink_.local_details, "stream_idle_timeout");
}

TEST_F(RouterStreamTest, MaxStreamDurationResetsAStartedResponse) {
  route_->max_stream_duration_ms = 20;
  start();
  ex(0).respond(200, "partial", /*end=*/false);
  ASSERT_TRUE(waitResponse());
  EXPECT_TRUE(sink_.reset);  // the head went out: the only way left is a reset
  EXPECT_EQ(info().failure, ResponseFlag::kMaxStreamDuration);
  EXPECT_TRUE(ex(0).cancelled);
}

TEST_F(RouterStreamTest, GrpcCallerGetsATrailersOnlyError) {
  stream_ = std::make_unique<RouterStream>(ctx_, sink_, ctx_.snapshot(), *route_);
  http::RequestHead head;
  head.method = "POST";
  head.target = "/pkg.Svc/Call";
  head.headers.add("content-type", "application/grpc");
  head.headers.add("grpc-timeout", "20m");
  stream_->start(std::move(head), http::BodyFraming::kNone, 0, RequestInfo{"http"});
  stream_->onRequestComplete();
  ASSERT_TRUE(waitResponse());
  EXPECT_EQ(sink_.status(), 200);
  EXPECT_EQ(sink_.header("grpc-status"), "4");  // DEADLINE_EXCEEDED
  EXPECT_EQ(sink_.header("x-strait-local-reply"), "upstream_response_timeout");
}

}  // namespace
}  // namespace strait::proxy::testing
