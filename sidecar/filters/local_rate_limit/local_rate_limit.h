// The local_rate_limit filter (proto LocalRateLimit): one token per request from a bucket
// shared by every worker of the sidecar; 429 with retry-after when it is empty.
// The buckets (RateLimitState) are kept in FactoryContext::shared under the filter's scope
// and its settings, so a new generation with the same settings keeps counting where the
// previous one was, and changed settings start afresh.
// THREADS: the factory and RateLimitState are shared by the workers (thread-safe buckets);
// a filter lives on its request's worker.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "sidecar/filters/filter_stats.h"
#include "sidecar/filters/local_rate_limit/token_bucket.h"
#include "sidecar/filters/registry.h"
#include "strait/v1/filter_rate_limit.pb.h"

namespace strait::filters {

class RateLimitState {
 public:
  RateLimitState(const strait::v1::LocalRateLimit& config, const TokenBucketSettings& settings);
  // Takes a token for a request (`key` ignored unless the buckets are keyed).
  TakeResult take(std::string_view key, int64_t now_ms);
  bool keyed() const { return keyed_ != nullptr; }

 private:
  std::unique_ptr<TokenBucket> single_;
  std::unique_ptr<KeyedTokenBuckets> keyed_;
};

TokenBucketSettings rateLimitSettings(const strait::v1::LocalRateLimit& config);

absl::StatusOr<std::shared_ptr<const FilterFactory>> createLocalRateLimitFactory(
    const strait::v1::LocalRateLimit& config, const FactoryContext& context);

}  // namespace strait::filters
