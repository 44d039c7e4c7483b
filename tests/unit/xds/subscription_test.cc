#include "xds/subscription.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <utility>
#include <vector>

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

SubscriptionState::Action on(SubscriptionState& s, DiscoveryResponse r) { return s.onResponse(&r); }

DiscoveryResponse full(const std::string& version, const std::string& nonce, std::vector<std::pair<std::string, int>> las) {
  DiscoveryResponse r = response(version, nonce);
  auto* gen = r.mutable_generation();
  gen->add_clusters()->set_name("static");
  for (const auto& [name, port] : las) {
    auto* la = gen->add_load_assignments();
    la->set_cluster_name(name);
    auto* ep = la->add_endpoints();
    ep->set_address("10.0.0.1");
    ep->set_port(port);
  }
  return r;
}

DiscoveryResponse delta(const std::string& version, const std::string& nonce, const std::string& base,
                        std::vector<std::pair<std::string, int>> las, std::vector<std::string> removed = {}) {
  DiscoveryResponse r = response(version, nonce);
  auto* d = r.mutable_delta();
  d->set_base_version(base);
  for (const auto& [name, port] : las) {
    auto* la = d->add_load_assignments();
    la->set_cluster_name(name);
    la->add_endpoints()->set_port(port);
  }
  for (const auto& name : removed) d->add_removed_load_assignments(name);
  return r;
}

std::vector<std::string> assignments(const strait::v1::Generation& gen) {
  std::vector<std::string> out;
  for (const auto& la : gen.load_assignments()) {
    out.push_back(la.cluster_name() + ":" + std::to_string(la.endpoints_size() ? la.endpoints(0).port() : 0));
  }
  return out;
}

TEST(Subscription, AdvertisesDeltas) {
  SubscriptionState s(testNode());
  strait::v1::DiscoveryRequest req = s.initialRequest();
  const auto& features = req.node().client_features();
  EXPECT_EQ(std::count(features.begin(), features.end(), kFeatureGenerationDelta), 1);
}

TEST(Subscription, DeltaAppliesToACopyOfTheAppliedGenerationAsAWhole) {
  SubscriptionState s(testNode());
  ASSERT_EQ(on(s, full("1-aaaaaaaaaaaaaaaa", "n1", {{"a", 1}, {"b", 2}, {"c", 3}})), SubscriptionState::Action::kApply);
  EXPECT_EQ(s.pendingGeneration().clusters_size(), 1);
  s.onApplied();
  // b replaced in place, d added, c removed; everything else as applied.
  ASSERT_EQ(on(s, delta("2-bbbbbbbbbbbbbbbb", "n2", "1-aaaaaaaaaaaaaaaa", {{"b", 20}, {"d", 4}}, {"c"})),
            SubscriptionState::Action::kApply);
  EXPECT_EQ(assignments(s.pendingGeneration()), (std::vector<std::string>{"a:1", "b:20", "d:4"}));
  EXPECT_EQ(s.pendingGeneration().clusters(0).name(), "static");
  // A NACK keeps the applied generation: the next delta applies to version 1 again.
  auto nack = s.onRejected(absl::InvalidArgumentError("no"));
  EXPECT_EQ(nack.version_info(), "1-aaaaaaaaaaaaaaaa");
  ASSERT_EQ(on(s, delta("3-cccccccccccccccc", "n3", "1-aaaaaaaaaaaaaaaa", {{"a", 10}})),
            SubscriptionState::Action::kApply);
  EXPECT_EQ(assignments(s.pendingGeneration()), (std::vector<std::string>{"a:10", "b:2", "c:3"}));
  EXPECT_EQ(s.onApplied().version_info(), "3-cccccccccccccccc");
  // The next delta builds on version 3.
  ASSERT_EQ(on(s, delta("4-dddddddddddddddd", "n4", "3-cccccccccccccccc", {{"c", 30}})),
            SubscriptionState::Action::kApply);
  EXPECT_EQ(assignments(s.pendingGeneration()), (std::vector<std::string>{"a:10", "b:2", "c:30"}));
}

TEST(Subscription, DeltaOnAnotherBaseIsNackedAndAnEmptyOneAckedWithoutBuilding) {
  SubscriptionState s(testNode());
  EXPECT_EQ(on(s, delta("2-bbbbbbbbbbbbbbbb", "n1", "1-aaaaaaaaaaaaaaaa", {{"a", 1}})),
            SubscriptionState::Action::kReject) << "nothing applied yet";
  EXPECT_EQ(s.rejection().code(), absl::StatusCode::kFailedPrecondition);
  on(s, full("1-aaaaaaaaaaaaaaaa", "n2", {{"a", 1}}));
  s.onApplied();
  EXPECT_EQ(on(s, delta("3-cccccccccccccccc", "n3", "2-bbbbbbbbbbbbbbbb", {{"a", 2}})),
            SubscriptionState::Action::kReject);
  auto nack = s.onRejected(s.rejection());
  EXPECT_EQ(nack.error_detail().code(), 9);
  EXPECT_NE(nack.error_detail().message().find("2-bbbbbbbbbbbbbbbb"), std::string::npos);
  // Nothing of this sidecar's changed in version 4: ACKed as is.
  EXPECT_EQ(on(s, delta("4-dddddddddddddddd", "n4", "1-aaaaaaaaaaaaaaaa", {})), SubscriptionState::Action::kAckUnchanged);
  EXPECT_EQ(s.onApplied().version_info(), "4-dddddddddddddddd");
  ASSERT_EQ(on(s, delta("5-eeeeeeeeeeeeeeee", "n5", "4-dddddddddddddddd", {{"a", 5}})), SubscriptionState::Action::kApply);
  EXPECT_EQ(assignments(s.pendingGeneration()), (std::vector<std::string>{"a:5"}));
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
  EXPECT_EQ(on(s, response("1", "n1")), SubscriptionState::Action::kApply);
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
  on(s, response("1", "n1"));
  s.onApplied();
  EXPECT_EQ(on(s, response("2", "n2")), SubscriptionState::Action::kApply);
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
  on(s, response("3", "a"));
  s.onApplied();
  EXPECT_EQ(on(s, response("3", "b")), SubscriptionState::Action::kAckUnchanged);
  auto ack = s.onApplied();
  EXPECT_EQ(ack.version_info(), "3");
  EXPECT_EQ(ack.response_nonce(), "b");
}

// A restarted (or another) control plane numbers versions anew, but the same content has
// the same hash: ACKed under the new version without rebuilding. A short hash (an old
// control plane's 32 bits) or another hash is not taken for the same content.
TEST(Subscription, SameContentUnderAnotherVersionIsAckUnchanged) {
  SubscriptionState s(testNode());
  EXPECT_EQ(on(s, response("3-0123456789abcdef", "n1")), SubscriptionState::Action::kApply);
  s.onApplied();
  EXPECT_EQ(on(s, response("1-0123456789abcdef", "n2")), SubscriptionState::Action::kAckUnchanged);
  EXPECT_EQ(s.onApplied().version_info(), "1-0123456789abcdef");
  EXPECT_EQ(on(s, response("2-fedcba9876543210", "n3")), SubscriptionState::Action::kApply);
  s.onApplied();
  EXPECT_FALSE(SubscriptionState::sameContent("1-abcd1234", "2-abcd1234"));
  EXPECT_FALSE(SubscriptionState::sameContent("0123456789abcdef", "0123456789abcdef"));
}

TEST(Subscription, WrongTypeUrlOrEmptyVersionIsRejected) {
  SubscriptionState s(testNode());
  DiscoveryResponse r = response("1", "n1");
  r.set_type_url("type.googleapis.com/envoy.config.listener.v3.Listener");
  EXPECT_EQ(s.onResponse(&r), SubscriptionState::Action::kReject);
  auto nack = s.onRejected(absl::InvalidArgumentError("wrong type"));
  EXPECT_EQ(nack.version_info(), "");
  EXPECT_EQ(nack.response_nonce(), "n1");
  EXPECT_EQ(on(s, response("", "n2")), SubscriptionState::Action::kReject);
}

TEST(Subscription, FailedPreconditionCodeIsCarried) {
  SubscriptionState s(testNode());
  on(s, response("1", "n1"));
  EXPECT_EQ(s.onRejected(absl::FailedPreconditionError("port in use")).error_detail().code(), 9);
}

}  // namespace
}  // namespace strait::xds
