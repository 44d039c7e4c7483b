// Sidecar-side ADS state machine (see subscription.h).
#include "xds/subscription.h"

#include <algorithm>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"

namespace strait::xds {

namespace {

// The applied generation with `delta` applied: assignments replaced in place (by cluster
// name), new ones appended, removed ones dropped.
void applyDelta(const strait::v1::GenerationDelta& delta, strait::v1::Generation* gen) {
  absl::flat_hash_map<std::string, int> index;
  for (int i = 0; i < gen->load_assignments_size(); i++) index[gen->load_assignments(i).cluster_name()] = i;
  for (const auto& la : delta.load_assignments()) {
    auto it = index.find(la.cluster_name());
    if (it != index.end()) {
      *gen->mutable_load_assignments(it->second) = la;
    } else {
      index[la.cluster_name()] = gen->load_assignments_size();
      *gen->add_load_assignments() = la;
    }
  }
  if (delta.removed_load_assignments_size() == 0) return;
  absl::flat_hash_set<std::string> removed(delta.removed_load_assignments().begin(),
                                           delta.removed_load_assignments().end());
  auto* las = gen->mutable_load_assignments();
  las->erase(std::remove_if(las->begin(), las->end(),
                            [&](const strait::v1::ClusterLoadAssignment& la) {
                              return removed.count(la.cluster_name()) > 0;
                            }),
             las->end());
}

}  // namespace

SubscriptionState::SubscriptionState(strait::v1::Node node) : node_(std::move(node)) {
  if (std::find(node_.client_features().begin(), node_.client_features().end(), kFeatureGenerationDelta) ==
      node_.client_features().end()) {
    node_.add_client_features(kFeatureGenerationDelta);
  }
}

strait::v1::DiscoveryRequest SubscriptionState::initialRequest() const {
  strait::v1::DiscoveryRequest req;
  *req.mutable_node() = node_;
  req.set_type_url(kGenerationTypeUrl);
  req.set_version_info(applied_version_);
  if (!receive_failure_.ok()) {
    req.mutable_error_detail()->set_code(static_cast<int>(receive_failure_.code()));
    req.mutable_error_detail()->set_message(std::string(receive_failure_.message()));
  }
  return req;
}

void SubscriptionState::onReceiveFailed(const absl::Status& why) { receive_failure_ = why; }

SubscriptionState::Action SubscriptionState::onResponse(strait::v1::DiscoveryResponse* response) {
  receive_failure_ = absl::OkStatus();  // a response arrived
  pending_version_ = response->version_info();
  pending_nonce_ = response->nonce();
  pending_generation_.Clear();
  pending_built_ = false;
  if (response->type_url() != kGenerationTypeUrl || response->version_info().empty()) {
    rejection_ = absl::InvalidArgumentError(absl::StrCat("unexpected response: type_url '", response->type_url(),
                                                         "', version '", response->version_info(), "'"));
    return Action::kReject;
  }
  if (response->has_delta()) {
    const strait::v1::GenerationDelta& delta = response->delta();
    if (applied_version_.empty() || delta.base_version() != applied_version_) {
      rejection_ = absl::FailedPreconditionError(absl::StrCat("delta against version '", delta.base_version(),
                                                              "' but version '", applied_version_, "' is applied"));
      return Action::kReject;
    }
    // Nothing of this sidecar's changed: the applied generation is the new version's.
    if (delta.load_assignments_size() == 0 && delta.removed_load_assignments_size() == 0) {
      return Action::kAckUnchanged;
    }
    pending_generation_ = applied_generation_;
    applyDelta(delta, &pending_generation_);
    pending_built_ = true;
    return Action::kApply;
  }
  if (!applied_version_.empty() &&
      (response->version_info() == applied_version_ || sameContent(response->version_info(), applied_version_))) {
    return Action::kAckUnchanged;
  }
  pending_generation_.Swap(response->mutable_generation());
  pending_built_ = true;
  return Action::kApply;
}

bool SubscriptionState::sameContent(const std::string& a, const std::string& b) {
  size_t da = a.find('-'), db = b.find('-');
  if (da == std::string::npos || db == std::string::npos) return false;
  std::string_view ha = std::string_view(a).substr(da + 1), hb = std::string_view(b).substr(db + 1);
  return ha.size() >= 16 && ha == hb;
}

strait::v1::DiscoveryRequest SubscriptionState::onApplied() {
  // After kAckUnchanged the applied generation stays.
  if (pending_built_) applied_generation_.Swap(&pending_generation_);
  pending_built_ = false;
  pending_generation_.Clear();
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
  pending_generation_.Clear();
  pending_built_ = false;
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
