// The control plane's end of the aggregated discovery stream (discovery.proto PROTOCOL).
//
// Threads: gRPC's synchronous server calls StreamAggregatedResources on one of its threads
// per stream; that thread is the only writer of the stream. A helper thread per stream
// reads requests and queues them; new config versions (ConfigSource listener) and queued
// requests wake the writer through one mutex + condition.
// Authentication: with a CA given (TLS mode), a stream is accepted only from a caller whose
// verified client certificate carries a mesh SPIFFE ID; others get UNAUTHENTICATED.
#pragma once

#include <atomic>

#include "control/ca/certificate_authority.h"
#include "control/control_metrics.h"
#include "control/mesh_state.h"
#include "control/sidecar_registry.h"
#include "strait/v1/discovery.grpc.pb.h"

namespace strait::control {

class AdsService final : public strait::v1::AggregatedDiscoveryService::Service {
 public:
  // All must outlive the service. `require_client_cert` null: no client authentication
  // (plaintext mode). `withdraw_timeout`: how long a draining sidecar waits at most for the
  // others to ACK a version without its endpoint. `metrics` (may be null): where stream
  // events (connect, ACK, NACK, disconnect) are counted.
  AdsService(MeshState* mesh, SidecarRegistry* registry, const ca::CertificateAuthority* require_client_cert,
             absl::Duration withdraw_timeout = absl::Seconds(5), ControlMetrics* metrics = nullptr)
      : source_(mesh), registry_(registry), require_client_cert_(require_client_cert),
        withdraw_timeout_(withdraw_timeout), metrics_(metrics) {}

  grpc::Status StreamAggregatedResources(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<strait::v1::DiscoveryResponse, strait::v1::DiscoveryRequest>*
          stream) override;

 private:
  MeshState* const source_;
  SidecarRegistry* const registry_;
  const ca::CertificateAuthority* const require_client_cert_;
  const absl::Duration withdraw_timeout_;
  ControlMetrics* const metrics_;
  std::atomic<uint64_t> next_nonce_{1};  // unique across all streams
};

}  // namespace strait::control
