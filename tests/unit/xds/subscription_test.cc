#include "xds/subscription.h"

#include <gtest/gtest.h>

namespace strait::xds {
namespace {

using strait::v1::DiscoveryResponse;

strait::v1::Node testNode() {
  strait::v1::Node node;
  node.set_id("web-1");
  node.set_service("web");
  return node;
}

DiscoveryResponse response(const std::string& version, const std::string& nonce) {
  DiscoveryResponse r;
  r.set_version_info(version);
  r.set_nonce(nonce);
  r.set_type_url(kGenerationTypeUrl);
  return r;
}

TEST(Subscription, InitialRequest) {
  SubscriptionState s(testNode());
  auto req = s.initialRequest();
  EXPECT_EQ(req.node().id(), "web-1");
  EXPECT_EQ(req.type_url(), kGenerationTypeUrl);
  EXPECT_EQ(req.version_info(), "");
  EXPECT_EQ(req.response_nonce(), "");
  EXPECT_FALSE(req.has_error_detail());
}

TEST(Subscription, ApplyThenAck) {
  SubscriptionState s(testNode());
  EXPECT_EQ(s.onResponse(response("1", "n1")), SubscriptionState::Action::kApply);
  auto ack = s.onApplied();
  EXPECT_EQ(ack.version_info(), "1");
  EXPECT_EQ(ack.response_nonce(), "n1");
  EXPECT_FALSE(ack.has_error_detail());
  EXPECT_EQ(s.appliedVersion(), "1");
  EXPECT_EQ(s.acks(), 1u);
  EXPECT_EQ(s.initialRequest().version_info(), "1");  // after a reconnect
}

TEST(Subscription, RejectNacksAndKeepsOldVersion) {
  SubscriptionState s(testNode());
  s.onResponse(response("1", "n1"));
  s.onApplied();
  EXPECT_EQ(s.onResponse(response("2", "n2")), SubscriptionState::Action::kApply);
  auto nack = s.onRejected(absl::InvalidArgumentError("listener 'x': port: bad"));
  EXPECT_EQ(nack.version_info(), "1");
  EXPECT_EQ(nack.response_nonce(), "n2");
  ASSERT_TRUE(nack.has_error_detail());
  EXPECT_EQ(nack.error_detail().code(), 3);
  EXPECT_EQ(nack.error_detail().message(), "listener 'x': port: bad");
  EXPECT_EQ(s.appliedVersion(), "1");
  EXPECT_EQ(s.nacks(), 1u);
}

TEST(Subscription, SameVersionIsAckUnchanged) {
  SubscriptionState s(testNode());
  s.onResponse(response("3", "a"));
  s.onApplied();
  EXPECT_EQ(s.onResponse(response("3", "b")), SubscriptionState::Action::kAckUnchanged);
  auto ack = s.onApplied();
  EXPECT_EQ(ack.version_info(), "3");
  EXPECT_EQ(ack.response_nonce(), "b");
}

// A restarted (or another) control plane numbers versions anew, but the same content has
// the same hash: ACKed under the new version without rebuilding. A short hash (an old
// control plane's 32 bits) or another hash is not taken for the same content.
TEST(Subscription, SameContentUnderAnotherVersionIsAckUnchanged) {
  SubscriptionState s(testNode());
  EXPECT_EQ(s.onResponse(response("3-0123456789abcdef", "n1")), SubscriptionState::Action::kApply);
  s.onApplied();
  EXPECT_EQ(s.onResponse(response("1-0123456789abcdef", "n2")), SubscriptionState::Action::kAckUnchanged);
  EXPECT_EQ(s.onApplied().version_info(), "1-0123456789abcdef");
  EXPECT_EQ(s.onResponse(response("2-fedcba9876543210", "n3")), SubscriptionState::Action::kApply);
  s.onApplied();
  EXPECT_FALSE(SubscriptionState::sameContent("1-abcd1234", "2-abcd1234"));
  EXPECT_FALSE(SubscriptionState::sameContent("0123456789abcdef", "0123456789abcdef"));
}

TEST(Subscription, WrongTypeUrlOrEmptyVersionIsRejected) {
  SubscriptionState s(testNode());
  DiscoveryResponse r = response("1", "n1");
  r.set_type_url("type.googleapis.com/envoy.config.listener.v3.Listener");
  EXPECT_EQ(s.onResponse(r), SubscriptionState::Action::kReject);
  auto nack = s.onRejected(absl::InvalidArgumentError("wrong type"));
  EXPECT_EQ(nack.version_info(), "");
  EXPECT_EQ(nack.response_nonce(), "n1");
  EXPECT_EQ(s.onResponse(response("", "n2")), SubscriptionState::Action::kReject);
}

TEST(Subscription, FailedPreconditionCodeIsCarried) {
  SubscriptionState s(testNode());
  s.onResponse(response("1", "n1"));
  EXPECT_EQ(s.onRejected(absl::FailedPreconditionError("port in use")).error_detail().code(), 9);
}

}  // namespace
}  // namespace strait::xds
