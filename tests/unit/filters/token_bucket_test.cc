#include "sidecar/filters/local_rate_limit/token_bucket.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "fake_callbacks.h"
#include "sidecar/filters/local_rate_limit/local_rate_limit.h"

namespace strait::filters {
namespace {

TokenBucketSettings settings(uint32_t max, uint32_t per_fill, int64_t interval_ms) {
  TokenBucketSettings s;
  s.max_tokens = max;
  s.tokens_per_fill = per_fill;
  s.fill_interval_ms = interval_ms;
  return s;
}

int take(TokenBucket& b, int64_t now, int n) {
  int ok = 0;
  for (int i = 0; i < n; i++) ok += b.take(now).allowed;
  return ok;
}

TEST(TokenBucket, StartsFullThenFillsAtIntervals) {
  TokenBucket b(settings(5, 2, 1000));
  int64_t t = 1'000'000'500;  // ms since boot, mid-interval
  EXPECT_EQ(take(b, t, 10), 5);
  TakeResult r = b.take(t);
  EXPECT_FALSE(r.allowed);
  EXPECT_EQ(r.retry_after_ms, 500);  // the next fill is at the next whole second
  EXPECT_EQ(take(b, t + 499, 3), 0);
  EXPECT_EQ(take(b, t + 500, 3), 2);  // one fill: 2 tokens
  EXPECT_EQ(take(b, t + 3500, 10), 5);  // three fills: 6, capped at 5
}

TEST(TokenBucket, LongIdleDoesNotOverflow) {
  TokenBucket b(settings(3, 3, 1));
  EXPECT_EQ(take(b, 10, 5), 3);
  EXPECT_EQ(take(b, int64_t{1} << 39, 5), 3);
}

TEST(TokenBucket, RetryAfterIsTimeToNextFill) {
  TokenBucket b(settings(1, 1, 60'000));
  EXPECT_TRUE(b.take(120'000).allowed);
  TakeResult r = b.take(150'000);
  EXPECT_FALSE(r.allowed);
  EXPECT_EQ(r.retry_after_ms, 30'000);
}

TEST(TokenBucket, SharedByThreadsAllowsExactlyTheBucket) {
  TokenBucket b(settings(1000, 1, 3'600'000));
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; i++) {
    threads.emplace_back([&] { allowed += take(b, 7'200'001, 1000); });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(allowed.load(), 1000);
}

TEST(KeyedTokenBuckets, KeysHaveTheirOwnBuckets) {
  KeyedTokenBuckets k(settings(2, 1, 1000), 100);
  EXPECT_EQ(k.slots(), 100u);
  int64_t t = 5000;
  EXPECT_TRUE(k.take(11, t).allowed);
  EXPECT_TRUE(k.take(11, t).allowed);
  EXPECT_FALSE(k.take(11, t).allowed);
  EXPECT_TRUE(k.take(12, t).allowed);  // another key
  EXPECT_TRUE(k.take(11, t + 1000).allowed);
}

TEST(KeyedTokenBuckets, FullSetForgetsTheLeastRecentlyUsedKey) {
  KeyedTokenBuckets k(settings(1, 1, 1'000'000), 4);  // one set of 4 slots
  for (uint64_t key = 1; key <= 4; key++) EXPECT_TRUE(k.take(key, 10 + key).allowed);
  EXPECT_FALSE(k.take(1, 20).allowed);  // key 1 used again: most recent now
  EXPECT_TRUE(k.take(5, 21).allowed);   // evicts key 2 (least recent)
  EXPECT_FALSE(k.take(1, 22).allowed);  // key 1 kept its empty bucket
  EXPECT_TRUE(k.take(2, 23).allowed);   // key 2 was forgotten: full again
}

TEST(LocalRateLimitFilter, AnswersTooManyRequestsWithRetryAfter) {
  strait::v1::LocalRateLimit config;
  config.set_max_tokens(2);
  config.mutable_fill_interval()->set_seconds(3600);
  SharedState shared;
  auto f = createLocalRateLimitFactory(config, {&shared, "rc/vh/r"});
  ASSERT_TRUE(f.ok()) << f.status();
  int limited = 0;
  for (int i = 0; i < 3; i++) {
    testing::FakeCallbacks cb;
    auto filter = (*f)->create();
    filter->setCallbacks(cb);
    http::RequestHead head;
    if (filter->onRequestHead(head, true) == FilterStatus::kStop) {
      limited++;
      EXPECT_EQ(cb.status, 429);
      EXPECT_EQ(cb.details, "rate_limited");
      int64_t seconds = std::stoll(*cb.headers.get("retry-after"));
      EXPECT_GE(seconds, 1);
      EXPECT_LE(seconds, 3600);
    }
  }
  EXPECT_EQ(limited, 1);
}

TEST(LocalRateLimitFilter, StateSurvivesAGenerationWithTheSameSettings) {
  strait::v1::LocalRateLimit config;
  config.set_max_tokens(1);
  config.mutable_fill_interval()->set_seconds(3600);
  SharedState shared;
  testing::FakeCallbacks cb;
  auto take = [&](const std::shared_ptr<const FilterFactory>& f) {
    auto filter = f->create();
    filter->setCallbacks(cb);
    http::RequestHead head;
    return filter->onRequestHead(head, true) == FilterStatus::kContinue;
  };
  auto gen1 = *createLocalRateLimitFactory(config, {&shared, "rc/vh/r"});
  EXPECT_TRUE(take(gen1));
  auto gen2 = *createLocalRateLimitFactory(config, {&shared, "rc/vh/r"});  // gen1 still alive
  EXPECT_FALSE(take(gen2));
  config.set_max_tokens(2);  // changed settings: new buckets
  auto gen3 = *createLocalRateLimitFactory(config, {&shared, "rc/vh/r"});
  EXPECT_TRUE(take(gen3));
  auto other = *createLocalRateLimitFactory(config, {&shared, "rc/vh/other"});  // another scope
  EXPECT_TRUE(take(other));
}

}  // namespace
}  // namespace strait::filters
