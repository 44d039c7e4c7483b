// Sidecar-side ADS state machine (see subscription.h).
#include "xds/subscription.h"

namespace strait::xds {

SubscriptionState::SubscriptionState(strait::v1::Node node) : node_(std::move(node)) {}

strait::v1::DiscoveryRequest SubscriptionState::initialRequest() const {
  strait::v1::DiscoveryRequest req;
  *req.mutable_node() = node_;
  req.set_type_url(kGenerationTypeUrl);
  req.set_version_info(applied_version_);
  return req;
}

SubscriptionState::Action SubscriptionState::onResponse(
    const strait::v1::DiscoveryResponse& response) {
  pending_version_ = response.version_info();
  pending_nonce_ = response.nonce();
  if (response.type_url() != kGenerationTypeUrl || response.version_info().empty()) {
    return Action::kReject;
  }
  if (!applied_version_.empty() && response.version_info() == applied_version_) {
    return Action::kAckUnchanged;
  }
  return Action::kApply;
}

strait::v1::DiscoveryRequest SubscriptionState::onApplied() {
  applied_version_ = pending_version_;
  ++acks_;
  strait::v1::DiscoveryRequest req;
  *req.mutable_node() = node_;
  req.set_type_url(kGenerationTypeUrl);
  req.set_version_info(applied_version_);
  req.set_response_nonce(pending_nonce_);
  return req;
}

strait::v1::DiscoveryRequest SubscriptionState::onRejected(const absl::Status& why) {
  ++nacks_;
  strait::v1::DiscoveryRequest req;
  *req.mutable_node() = node_;
  req.set_type_url(kGenerationTypeUrl);
  req.set_version_info(applied_version_);
  req.set_response_nonce(pending_nonce_);
  req.mutable_error_detail()->set_code(static_cast<int>(why.code()));
  req.mutable_error_detail()->set_message(std::string(why.message()));
  return req;
}

}  // namespace strait::xds
