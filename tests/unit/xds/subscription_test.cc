#include "xds/subscription.h"

#include <gtest/gtest.h>

namespace strait::xds {
namespace {

using strait::v1::DiscoveryResponse;

strait::v1::Node TestNode() {
  strait::v1::Node node;
  node.set_id("web-1");
  node.set_service("web");
  return node;
}

DiscoveryResponse Response(const std::string& version, const std::string& nonce) {
  DiscoveryResponse r;
  r.set_version_info(version);
  r.set_nonce(nonce);
  r.set_type_url(kGenerationTypeUrl);
  return r;
}

TEST(Subscription, InitialRequest) {
  SubscriptionState s(TestNode());
  auto req = s.InitialRequest();
  EXPECT_EQ(req.node().id(), "web-1");
  EXPECT_EQ(req.type_url(), kGenerationTypeUrl);
  EXPECT_EQ(req.version_info(), "");
  EXPECT_EQ(req.response_nonce(), "");
  EXPECT_FALSE(req.has_error_detail());
}

TEST(Subscription, ApplyThenAck) {
  SubscriptionState s(TestNode());
  EXPECT_EQ(s.OnResponse(Response("1", "n1")), SubscriptionState::Action::kApply);
  auto ack = s.OnApplied();
  EXPECT_EQ(ack.version_info(), "1");
  EXPECT_EQ(ack.response_nonce(), "n1");
  EXPECT_FALSE(ack.has_error_detail());
  EXPECT_EQ(s.applied_version(), "1");
  EXPECT_EQ(s.acks(), 1u);
  EXPECT_EQ(s.InitialRequest().version_info(), "1");  // after a reconnect
}

TEST(Subscription, RejectNacksAndKeepsOldVersion) {
  SubscriptionState s(TestNode());
  s.OnResponse(Response("1", "n1"));
  s.OnApplied();
  EXPECT_EQ(s.OnResponse(Response("2", "n2")), SubscriptionState::Action::kApply);
  auto nack = s.OnRejected(absl::InvalidArgumentError("listener 'x': port: bad"));
  EXPECT_EQ(nack.version_info(), "1");
  EXPECT_EQ(nack.response_nonce(), "n2");
  ASSERT_TRUE(nack.has_error_detail());
  EXPECT_EQ(nack.error_detail().code(), 3);
  EXPECT_EQ(nack.error_detail().message(), "listener 'x': port: bad");
  EXPECT_EQ(s.applied_version(), "1");
  EXPECT_EQ(s.nacks(), 1u);
}

TEST(Subscription, SameVersionIsAckUnchanged) {
  SubscriptionState s(TestNode());
  s.OnResponse(Response("3", "a"));
  s.OnApplied();
  EXPECT_EQ(s.OnResponse(Response("3", "b")), SubscriptionState::Action::kAckUnchanged);
  auto ack = s.OnApplied();
  EXPECT_EQ(ack.version_info(), "3");
  EXPECT_EQ(ack.response_nonce(), "b");
}

TEST(Subscription, WrongTypeUrlOrEmptyVersionIsRejected) {
  SubscriptionState s(TestNode());
  DiscoveryResponse r = Response("1", "n1");
  r.set_type_url("type.googleapis.com/envoy.config.listener.v3.Listener");
  EXPECT_EQ(s.OnResponse(r), SubscriptionState::Action::kReject);
  auto nack = s.OnRejected(absl::InvalidArgumentError("wrong type"));
  EXPECT_EQ(nack.version_info(), "");
  EXPECT_EQ(nack.response_nonce(), "n1");
  EXPECT_EQ(s.OnResponse(Response("", "n2")), SubscriptionState::Action::kReject);
}

TEST(Subscription, FailedPreconditionCodeIsCarried) {
  SubscriptionState s(TestNode());
  s.OnResponse(Response("1", "n1"));
  EXPECT_EQ(s.OnRejected(absl::FailedPreconditionError("port in use")).error_detail().code(), 9);
}

}  // namespace
}  // namespace strait::xds
