// ADS service: accepting streams, pushing versions, draining withdrawals (see ads_service.h).
#include "control/ads_service.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "control/log_line.h"
#include "control/peer_auth.h"
#include "xds/validate.h"

namespace strait::control {

AdsService::AdsService(MeshState* mesh, SidecarRegistry* registry, const ca::CertificateAuthority* require_client_cert,
                       absl::Duration withdraw_timeout, ControlMetrics* metrics, size_t max_response_bytes)
    : require_client_cert_(require_client_cert),
      hub_(mesh, registry, metrics, withdraw_timeout,
           max_response_bytes > 0 ? max_response_bytes : static_cast<size_t>(xds::kAdsMessageLimit)) {
  mesh_listener_ = mesh->addListener([this] { pushToAll(); });
  withdrawals_ = std::thread([this] { withdrawalLoop(); });
}

AdsService::~AdsService() {
  hub_.mesh->removeListener(mesh_listener_);
  {
    absl::MutexLock lock(&hub_.mu);
    hub_.stopping = true;
  }
  withdrawals_.join();
}

grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* AdsService::StreamAggregatedResources(
    grpc::CallbackServerContext* context) {
  std::optional<ca::SpiffeId> peer;
  if (require_client_cert_ != nullptr) {
    auto id = peerSpiffeId(*context, *require_client_cert_);
    if (!id.ok()) {
      logLine("strait-control: refused ADS stream from ", context->peer(), ": ", id.status().message());
      return new AdsStream(context, grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                                                 absl::StrCat("ADS requires a mesh client certificate: ",
                                                              id.status().message())));
    }
    peer = *id;
  }
  return new AdsStream(&hub_, context, std::move(peer));
}

void AdsService::pushToAll() {
  // Under hub_.mu, so no stream leaves (OnDone) while it is pushed to; each push is a cache
  // lookup and at most one StartWrite.
  absl::MutexLock lock(&hub_.mu);
  for (AdsStream* s : hub_.streams) s->pump();
}

void AdsService::withdrawalLoop() {
  absl::MutexLock lock(&hub_.mu);
  auto work = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(hub_.mu) { return hub_.stopping || !hub_.withdrawing.empty(); };
  while (true) {
    hub_.mu.Await(absl::Condition(&work));
    if (hub_.stopping) return;
    absl::Time now = absl::Now();
    for (auto it = hub_.withdrawing.begin(); it != hub_.withdrawing.end();) {
      if ((*it)->withdrawalDue(now)) {
        (*it)->pump();
        it = hub_.withdrawing.erase(it);
      } else {
        ++it;
      }
    }
    if (!hub_.withdrawing.empty()) {
      // Look again in 50 ms (or at once when stopping).
      auto stopping = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(hub_.mu) { return hub_.stopping; };
      hub_.mu.AwaitWithTimeout(absl::Condition(&stopping), absl::Milliseconds(50));
    }
  }
}

}  // namespace strait::control
