#include "sidecar/filters/local_rate_limit/local_rate_limit.h"

#include <algorithm>

#include "absl/hash/hash.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace strait::filters {
namespace {

using strait::v1::LocalRateLimit;
constexpr uint32_t kDefaultMaxKeys = 10000;
// The key of requests without the key header: not a possible header value.
constexpr std::string_view kNoHeader("\n");

}  // namespace

TokenBucketSettings rateLimitSettings(const LocalRateLimit& config) {
  TokenBucketSettings s;
  s.max_tokens = std::clamp<uint32_t>(config.max_tokens(), 1, TokenBucketSettings::kMaxTokens);
  s.tokens_per_fill = std::clamp<uint32_t>(config.tokens_per_fill(), 1, s.max_tokens);
  int64_t ms = config.fill_interval().seconds() * 1000 + config.fill_interval().nanos() / 1000000;
  s.fill_interval_ms = std::max<int64_t>(ms, 1);
  return s;
}

RateLimitState::RateLimitState(const LocalRateLimit& config, const TokenBucketSettings& settings) {
  if (config.key() == LocalRateLimit::NONE) {
    single_ = std::make_unique<TokenBucket>(settings);
  } else {
    keyed_ = std::make_unique<KeyedTokenBuckets>(settings, config.max_keys() ? config.max_keys() : kDefaultMaxKeys);
  }
}

TakeResult RateLimitState::take(std::string_view key, int64_t now_ms) {
  if (single_) return single_->take(now_ms);
  return keyed_->take(absl::HashOf(key), now_ms);
}

namespace {

struct RateLimitCounters {
  FilterStats::Counter* allowed;
  FilterStats::Counter* limited;
};

class LocalRateLimitFilter final : public StreamFilter {
 public:
  LocalRateLimitFilter(RateLimitState& state, LocalRateLimit::KeySource key, const std::string& header,
                       const RateLimitCounters& counters)
      : state_(state), key_(key), header_(header), counters_(counters) {}

  FilterStatus onRequestHead(http::RequestHead& head, bool end_stream) override {
    (void)end_stream;
    std::string_view key;
    if (key_ == LocalRateLimit::CLIENT_ADDRESS) {
      key = callbacks_->streamInfo().client_ip;
    } else if (key_ == LocalRateLimit::HEADER) {
      const std::string* v = head.headers.get(header_);
      key = v ? std::string_view(*v) : kNoHeader;
    }
    TakeResult r = state_.take(key, callbacks_->dispatcher().nowMs());
    if (r.allowed) {
      FilterStats::inc(*counters_.allowed);
      return FilterStatus::kContinue;
    }
    FilterStats::inc(*counters_.limited);
    int64_t seconds = std::max<int64_t>((r.retry_after_ms + 999) / 1000, 1);
    http::HeaderMap extra;
    extra.add("retry-after", absl::StrCat(seconds));
    callbacks_->streamInfo().failure = http::ResponseFlag::kRateLimited;
    callbacks_->sendLocalReply(429, "rate limited: too many requests, retry later\n", "rate_limited", &extra);
    return FilterStatus::kStop;
  }

 private:
  RateLimitState& state_;
  LocalRateLimit::KeySource key_;
  const std::string& header_;  // lower-case, owned by the factory
  const RateLimitCounters& counters_;
};

class LocalRateLimitFactory final : public FilterFactory {
 public:
  LocalRateLimitFactory(std::shared_ptr<RateLimitState> state, const LocalRateLimit& config, const std::string& scope)
      : state_(std::move(state)),
        key_(config.key()),
        header_(absl::AsciiStrToLower(config.key_header())),
        counters_{&FilterStats::counter("strait_rate_limit_allowed_total",
                                        "Requests let through by local_rate_limit.", scope),
                  &FilterStats::counter("strait_rate_limit_limited_total",
                                        "Requests answered 429 by local_rate_limit.", scope)} {}
  std::string_view kind() const override { return "local_rate_limit"; }
  std::unique_ptr<StreamFilter> create() const override {
    return std::make_unique<LocalRateLimitFilter>(*state_, key_, header_, counters_);
  }

 private:
  std::shared_ptr<RateLimitState> state_;  // shared with other generations' factories
  LocalRateLimit::KeySource key_;
  std::string header_;
  RateLimitCounters counters_;
};

}  // namespace

absl::StatusOr<std::shared_ptr<const FilterFactory>> createLocalRateLimitFactory(const LocalRateLimit& config,
                                                                                 const FactoryContext& context) {
  if (config.max_tokens() == 0) return absl::InvalidArgumentError("local_rate_limit.max_tokens: must be at least 1");
  if (config.key() == LocalRateLimit::HEADER && config.key_header().empty()) {
    return absl::InvalidArgumentError("local_rate_limit.key_header: required with key HEADER");
  }
  TokenBucketSettings s = rateLimitSettings(config);
  // The settings are part of the key: changed settings get new buckets, same ones keep theirs.
  std::string key = absl::StrCat("local_rate_limit/", context.scope, "|", s.max_tokens, "/", s.tokens_per_fill, "/",
                                 s.fill_interval_ms, "/", config.key(), "/", config.max_keys());
  auto state = context.shared->getOrCreate<RateLimitState>(
      key, [&] { return std::make_shared<RateLimitState>(config, s); });
  return std::make_shared<const LocalRateLimitFactory>(std::move(state), config, context.scope);
}

}  // namespace strait::filters
