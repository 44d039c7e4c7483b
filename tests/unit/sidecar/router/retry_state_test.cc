// RetryState on its own: attempt numbering and the retry limit, which failures a policy
// retries, the one free (transparent) retry, the cluster's max_retries and retry budget, and
// the full-jitter backoff bounds. ScopedCount, the accounting it holds.
#include "sidecar/router/retry_state.h"

#include <gtest/gtest.h>

#include "tests/unit/sidecar/fakes/test_config.h"

namespace strait::proxy::testing {
namespace {

using http::ResponseFlag;

class RetryStateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    policy_.retry_on = RetryPolicy::k5xx;
    policy_.num_retries = 2;
    cluster_ = testCluster("c", {1});
  }
  std::optional<int64_t> retry5xx(RetryState& rs, uint64_t random = 0) {
    return rs.retry(ResponseFlag::kNone, 503, true, false, random);
  }
  RetryPolicy policy_;
  std::shared_ptr<const ClusterInfo> cluster_;
};

TEST_F(RetryStateTest, CountsAttemptsAndStopsAfterNumRetries) {
  RetryState rs(policy_, *cluster_);
  EXPECT_EQ(rs.onAttemptStart(), 1u);
  EXPECT_TRUE(retry5xx(rs));
  EXPECT_EQ(rs.onAttemptStart(), 2u);
  EXPECT_TRUE(retry5xx(rs));
  EXPECT_EQ(rs.onAttemptStart(), 3u);
  EXPECT_FALSE(retry5xx(rs));  // 2 retries made
  EXPECT_EQ(rs.attempts(), 3u);
  EXPECT_EQ(cluster_->state->retries.load(), 2u);
  EXPECT_EQ(cluster_->state->active_retries.load(), 0u);  // the failed retry gave its slot back
}

TEST_F(RetryStateTest, OnlyMatchingFailuresAreRetried) {
  RetryState rs(policy_, *cluster_);
  rs.onAttemptStart();
  EXPECT_FALSE(rs.retry(ResponseFlag::kNone, 404, true, false, 0));
  EXPECT_FALSE(rs.retry(ResponseFlag::kDownstreamDisconnect, 502, true, false, 0));
  EXPECT_FALSE(rs.retry(ResponseFlag::kOverflow, 503, true, false, 0));
  EXPECT_TRUE(rs.retry(ResponseFlag::kUpstreamReset, 502, true, false, 0));

  policy_.retry_on = RetryPolicy::kConnectFailure;
  RetryState connect_only(policy_, *cluster_);
  connect_only.onAttemptStart();
  EXPECT_FALSE(connect_only.retry(ResponseFlag::kUpstreamReset, 502, true, false, 0));
  EXPECT_FALSE(connect_only.retry(ResponseFlag::kNone, 503, true, false, 0));
  EXPECT_TRUE(connect_only.retry(ResponseFlag::kUpstreamConnectTimeout, 503, true, false, 0));

  policy_.retry_on = RetryPolicy::kRetriableStatusCodes;
  policy_.status_codes = {409};
  RetryState codes(policy_, *cluster_);
  codes.onAttemptStart();
  EXPECT_FALSE(codes.retry(ResponseFlag::kNone, 503, true, false, 0));
  EXPECT_TRUE(codes.retry(ResponseFlag::kNone, 409, true, false, 0));
}

TEST_F(RetryStateTest, NoRetryWithoutReplayOrPastTheDeadlineOrWithoutPolicy) {
  RetryState rs(policy_, *cluster_);
  rs.onAttemptStart();
  EXPECT_FALSE(rs.retry(ResponseFlag::kNone, 503, /*can_replay=*/false, false, 0));
  EXPECT_FALSE(rs.retry(ResponseFlag::kNone, 503, true, /*deadline_passed=*/true, 0));
  RetryPolicy none;
  RetryState no_policy(none, *cluster_);
  no_policy.onAttemptStart();
  EXPECT_FALSE(no_policy.retry(ResponseFlag::kUpstreamReset, 502, true, false, 0));
}

TEST_F(RetryStateTest, FreeRetryOnceNotCountedAndFresh) {
  policy_.num_retries = 1;
  RetryState rs(policy_, *cluster_);
  rs.onAttemptStart();
  EXPECT_FALSE(rs.takeFreeRetry(/*can_replay=*/false));  // not used up by a refusal
  EXPECT_TRUE(rs.takeFreeRetry(true));
  EXPECT_TRUE(rs.takeFresh());
  EXPECT_FALSE(rs.takeFresh());  // only the next attempt
  EXPECT_FALSE(rs.takeFreeRetry(true));  // once per request
  rs.onAttemptStart();
  EXPECT_TRUE(retry5xx(rs));  // the policy's retry is still available
  rs.onAttemptStart();
  EXPECT_FALSE(retry5xx(rs));
  EXPECT_EQ(cluster_->state->retries.load(), 1u);
}

TEST_F(RetryStateTest, MaxRetriesLimitsConcurrentRetries) {
  cluster_ = testCluster("c", {1}, [](strait::v1::Cluster& c) { c.mutable_circuit_breakers()->set_max_retries(1); });
  RetryState a(policy_, *cluster_), b(policy_, *cluster_);
  a.onAttemptStart();
  b.onAttemptStart();
  EXPECT_TRUE(retry5xx(a));
  EXPECT_EQ(cluster_->state->active_retries.load(), 1u);
  EXPECT_FALSE(retry5xx(b));
  EXPECT_EQ(cluster_->state->retries_overflowed.load(), 1u);
  a.onAttemptStart();
  a.onAttemptEnd();  // a's retry attempt finished: the slot is free
  EXPECT_EQ(cluster_->state->active_retries.load(), 0u);
  EXPECT_TRUE(retry5xx(b));
  b.onAttemptEnd();
}

TEST_F(RetryStateTest, RetryBudgetScalesWithActiveRequests) {
  cluster_ = testCluster("c", {1}, [](strait::v1::Cluster& c) {
    c.mutable_circuit_breakers()->mutable_retry_budget()->set_budget_percent(50);
    c.mutable_circuit_breakers()->mutable_retry_budget()->set_min_retry_concurrency(1);
  });
  ClusterState& cs = *cluster_->state;
  cs.active_requests = 4;  // budget: 50% of 4 = 2 concurrent retries
  std::vector<std::unique_ptr<RetryState>> states;
  int granted = 0;
  for (int i = 0; i < 4; i++) {
    states.push_back(std::make_unique<RetryState>(policy_, *cluster_));
    states.back()->onAttemptStart();
    if (retry5xx(*states.back())) granted++;
  }
  EXPECT_EQ(granted, 2);
  EXPECT_EQ(cs.retries_overflowed.load(), 2u);
  cs.active_requests = 0;  // below the minimum concurrency: 1 still allowed
  states.clear();
  RetryState s(policy_, *cluster_);
  s.onAttemptStart();
  EXPECT_TRUE(retry5xx(s));
}

TEST_F(RetryStateTest, BackoffIsFullJitterWithinTheCap) {
  policy_.num_retries = 10;
  policy_.base_interval_ms = 25;
  policy_.max_interval_ms = 250;
  RetryState rs(policy_, *cluster_);
  const int64_t caps[] = {25, 50, 100, 200, 250, 250};
  for (int64_t cap : caps) {
    rs.onAttemptStart();
    auto top = rs.retry(ResponseFlag::kNone, 500, true, false, static_cast<uint64_t>(cap));
    ASSERT_TRUE(top);
    EXPECT_EQ(*top, cap);  // random % (cap + 1): the largest value is the cap itself
    rs.onAttemptEnd();
  }
  for (uint64_t r : {0ull, 7ull, 123456789ull, ~0ull}) {
    RetryState fresh(policy_, *cluster_);
    fresh.onAttemptStart();
    auto b = fresh.retry(ResponseFlag::kNone, 500, true, false, r);
    ASSERT_TRUE(b);
    EXPECT_GE(*b, 0);
    EXPECT_LE(*b, 25);
    fresh.onAttemptEnd();
  }
}

TEST(ScopedCount, HoldsOneUnitUntilReleasedOnce) {
  std::atomic<uint32_t> counter{0};
  {
    ScopedCount a(counter);
    EXPECT_EQ(counter.load(), 1u);
    EXPECT_TRUE(a.held());
    ScopedCount b(std::move(a));  // moves, does not count twice
    EXPECT_EQ(counter.load(), 1u);
    EXPECT_FALSE(a.held());
    b.release();
    b.release();
    EXPECT_EQ(counter.load(), 0u);
    ScopedCount c(counter);
    ScopedCount d(counter);
    EXPECT_EQ(counter.load(), 2u);
    c = std::move(d);  // c's own unit is released first
    EXPECT_EQ(counter.load(), 1u);
  }
  EXPECT_EQ(counter.load(), 0u);
}

}  // namespace
}  // namespace strait::proxy::testing
