// The control plane's end of the aggregated discovery stream (discovery.proto PROTOCOL),
// on gRPC's callback API: one AdsStream per sidecar, no thread per stream.
//
// Threads: gRPC's callback threads run the streams (ads_stream.h). A new version from
// MeshState is pushed to every stream on the thread that published it (each stream sends it
// now if nothing is in flight, else after the sidecar's reply; bodies are serialised once
// per selection, ResponseCache). One thread of its own watches draining sidecars (every
// 50 ms while any waits) for the others to ACK the version without them.
// Authentication: with a CA given (TLS mode), a stream is accepted only from a caller whose
// verified client certificate carries a mesh SPIFFE ID; others get UNAUTHENTICATED.
#pragma once

#include <thread>

#include "control/ads_stream.h"
#include "control/ca/certificate_authority.h"
#include "control/control_metrics.h"
#include "control/mesh_state.h"
#include "control/sidecar_registry.h"
#include "strait/v1/discovery.grpc.pb.h"

namespace strait::control {

class AdsService final : public strait::v1::AggregatedDiscoveryService::WithRawCallbackMethod_StreamAggregatedResources<
                             strait::v1::AggregatedDiscoveryService::Service> {
 public:
  // All must outlive the service. `require_client_cert` null: no client authentication
  // (plaintext mode). `withdraw_timeout`: how long a draining sidecar waits at most for the
  // others to ACK a version without its endpoint. `metrics` (may be null): where stream
  // events (connect, ACK, NACK, disconnect) are counted. `max_response_bytes`: the largest
  // response sent (0: xds::kAdsMessageLimit, what sidecars receive).
  AdsService(MeshState* mesh, SidecarRegistry* registry, const ca::CertificateAuthority* require_client_cert,
             absl::Duration withdraw_timeout = absl::Seconds(5), ControlMetrics* metrics = nullptr,
             size_t max_response_bytes = 0);
  // Call after the gRPC server stopped (no stream left).
  ~AdsService() override;

  grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* StreamAggregatedResources(
      grpc::CallbackServerContext* context) override;

  // Bodies serialised so far (full, delta), for tests and benchmarks.
  const ResponseCache& cache() const { return hub_.cache; }

 private:
  void pushToAll() ABSL_LOCKS_EXCLUDED(hub_.mu);
  void withdrawalLoop() ABSL_LOCKS_EXCLUDED(hub_.mu);

  const ca::CertificateAuthority* const require_client_cert_;
  AdsHub hub_;
  int mesh_listener_ = -1;
  std::thread withdrawals_;
};

}  // namespace strait::control
