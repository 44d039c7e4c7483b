// The per-request info's typed failures (sidecar/http/stream_info.h).
#include "sidecar/http/stream_info.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace strait::http {
namespace {

TEST(ResponseFlag, EveryFlagHasAUniqueNameAndASource) {
  std::set<std::string> names;
  for (int i = 1; i < static_cast<int>(ResponseFlag::kCount); i++) {
    auto flag = static_cast<ResponseFlag>(i);
    std::string name(responseFlagName(flag));
    EXPECT_FALSE(name.empty());
    EXPECT_TRUE(names.insert(name).second) << name;
    EXPECT_NE(responseFlagSource(flag), FailureSource::kNone) << name;
  }
  EXPECT_EQ(responseFlagSource(ResponseFlag::kUpstreamReset), FailureSource::kUpstream);
  EXPECT_EQ(responseFlagSource(ResponseFlag::kDownstreamDisconnect), FailureSource::kDownstream);
  EXPECT_TRUE(responseFlagRetryable(ResponseFlag::kUpstreamConnectFailure));
  EXPECT_FALSE(responseFlagRetryable(ResponseFlag::kNoRoute));
}

TEST(StreamInfo, FailRecordsTheFlagAndKeepsEarlierOnes) {
  StreamInfo info;
  info.fail(ResponseFlag::kUpstreamReset, "upstream_reset_before_response_complete");
  info.fail(ResponseFlag::kUpstreamPerTryTimeout, "upstream_per_try_timeout");
  EXPECT_EQ(info.failure, ResponseFlag::kUpstreamPerTryTimeout);
  EXPECT_EQ(info.failure_details, "upstream_per_try_timeout");
  EXPECT_TRUE(info.hasFlag(ResponseFlag::kUpstreamReset));  // a retried failure stays visible
  EXPECT_TRUE(info.hasFlag(ResponseFlag::kUpstreamPerTryTimeout));
  EXPECT_FALSE(info.hasFlag(ResponseFlag::kNoRoute));
}

}  // namespace
}  // namespace strait::http
