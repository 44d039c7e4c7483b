// Rollout latency (control/push_tracker.h), with an injected clock.
#include "control/push_tracker.h"

#include <gtest/gtest.h>

namespace strait::control {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1000);

TEST(PushTracker, ObservesWhenEverySidecarConnectedAtPublicationAcked) {
  PushTracker t;
  t.connected(1);
  t.connected(2);
  t.published("2-b", kT0);
  t.acked(1, "2-b", kT0 + absl::Milliseconds(10));
  EXPECT_EQ(t.latencies().count(), 0u);  // sidecar 2 still on the old version
  t.acked(2, "2-b", kT0 + absl::Milliseconds(300));
  EXPECT_EQ(t.latencies().count(), 1u);
  EXPECT_DOUBLE_EQ(t.latencies().sum(), 0.3);
  EXPECT_EQ(t.pending(), 0u);
}

TEST(PushTracker, ANewerAckCompletesOlderRollouts) {
  PushTracker t;
  t.connected(1);
  t.published("2-b", kT0);
  t.published("3-c", kT0 + absl::Seconds(1));
  t.acked(1, "3-c", kT0 + absl::Seconds(2));  // skipped 2-b
  EXPECT_EQ(t.latencies().count(), 2u);
  EXPECT_DOUBLE_EQ(t.latencies().sum(), 3.0);  // 2 s + 1 s
}

TEST(PushTracker, ANackHoldsTheRolloutUntilANewerAck) {
  PushTracker t;
  t.connected(1);
  t.published("2-b", kT0);
  t.acked(1, "1-a", kT0 + absl::Seconds(1));  // an old version's ACK changes nothing
  EXPECT_EQ(t.pending(), 1u);
  t.published("10-z", kT0 + absl::Seconds(2));  // numeric order: 10 > 2
  t.acked(1, "10-z", kT0 + absl::Seconds(5));
  EXPECT_EQ(t.latencies().count(), 2u);
  EXPECT_EQ(t.pending(), 0u);
}

TEST(PushTracker, SidecarsConnectingLaterOrAlreadyThereDoNotHoldIt) {
  PushTracker t;
  t.published("2-b", kT0);  // nobody connected: nothing pushed, nothing observed
  EXPECT_EQ(t.pending(), 0u);
  t.connected(1);
  t.acked(1, "2-b", kT0 + absl::Seconds(1));
  t.published("2-b", kT0 + absl::Seconds(2));  // not newer: ignored
  EXPECT_EQ(t.pending(), 0u);
  t.connected(2);
  t.published("3-c", kT0 + absl::Seconds(3));
  t.connected(3);  // after publication: not waited for
  t.acked(1, "3-c", kT0 + absl::Seconds(4));
  t.acked(2, "3-c", kT0 + absl::Seconds(5));
  EXPECT_EQ(t.latencies().count(), 1u);
  EXPECT_DOUBLE_EQ(t.latencies().sum(), 2.0);
}

TEST(PushTracker, DisconnectedSidecarsStopHoldingARollout) {
  PushTracker t;
  t.connected(1);
  t.connected(2);
  t.published("2-b", kT0);
  t.acked(1, "2-b", kT0 + absl::Seconds(1));
  t.disconnected(2, kT0 + absl::Seconds(2));
  EXPECT_EQ(t.latencies().count(), 1u);
  // Nobody ACKed before every waiting sidecar left: abandoned, not a latency.
  t.published("3-c", kT0 + absl::Seconds(3));
  t.disconnected(1, kT0 + absl::Seconds(4));
  EXPECT_EQ(t.latencies().count(), 1u);
  EXPECT_EQ(t.abandoned(), 1u);
  EXPECT_EQ(t.pending(), 0u);
}

TEST(PushTracker, PendingRolloutsAreBounded) {
  PushTracker t;
  t.connected(1);
  for (size_t i = 0; i < PushTracker::kMaxPending + 5; ++i) {
    t.published(std::to_string(i + 2) + "-x", kT0 + absl::Seconds(static_cast<int64_t>(i)));
  }
  EXPECT_EQ(t.pending(), PushTracker::kMaxPending);
  EXPECT_EQ(t.abandoned(), 5u);
}

TEST(PushTracker, HistogramBucketsMove) {
  PushTracker t;
  t.connected(1);
  t.published("2-b", kT0);
  t.acked(1, "2-b", kT0 + absl::Milliseconds(3));  // <= 0.005
  t.published("3-c", kT0 + absl::Seconds(1));
  t.acked(1, "3-c", kT0 + absl::Seconds(5));  // 4 s: in (2.5, 5]
  std::string text;
  t.latencies().render(&text, "p", "h");
  EXPECT_NE(text.find("p_bucket{le=\"0.005\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("p_bucket{le=\"2.5\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("p_bucket{le=\"5\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("p_count 2\n"), std::string::npos) << text;
}

}  // namespace
}  // namespace strait::control
