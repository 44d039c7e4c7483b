// Sidecar-side ADS state machine (see subscription.h).
#include "xds/subscription.h"

#include <string_view>

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
  if (!applied_version_.empty() &&
      (response.version_info() == applied_version_ || sameContent(response.version_info(), applied_version_))) {
    return Action::kAckUnchanged;
  }
  return Action::kApply;
}

bool SubscriptionState::sameContent(const std::string& a, const std::string& b) {
  size_t da = a.find('-'), db = b.find('-');
  if (da == std::string::npos || db == std::string::npos) return false;
  std::string_view ha = std::string_view(a).substr(da + 1), hb = std::string_view(b).substr(db + 1);
  return ha.size() >= 16 && ha == hb;
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
