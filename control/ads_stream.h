// One sidecar's aggregated discovery stream on the control plane (discovery.proto PROTOCOL),
// served with gRPC's callback API: no thread of its own; its callbacks run on gRPC's threads
// and new versions are pushed to it by whichever thread published them (AdsHub::streams).
//
// What it sends: after the node's first request, the current version; then, once the
// sidecar ACKed or NACKed it, the newest version if it changed (one response in flight,
// versions published meanwhile coalesced). Bodies come from the shared ResponseCache; a
// sidecar with client feature strait.generation_delta gets a GenerationDelta when the new
// version differs from the one it last ACKed on this stream only in load assignments (a
// NACK of a delta is answered with the whole generation).
// Draining: a `draining` request withdraws the workload's endpoint (MeshState) and queues
// the stream on AdsHub::withdrawing; the withdrawal thread (AdsService) sends the answer
// once every other sidecar applied a version without it, or at the timeout.
//
// THREADS and LOCKS: the stream's own state is guarded by its mutex. Lock order: AdsHub::mu,
// then a stream's mu, then leaves (MeshState, SidecarRegistry, ResponseCache, metrics); a
// stream never takes AdsHub::mu or calls into MeshState's changing methods (whose listeners
// push to streams) while holding its own. Lifetime: created by AdsService per call, deletes
// itself in OnDone, after leaving AdsHub (under AdsHub::mu, so no pusher still holds it).
#pragma once

#include <grpcpp/grpcpp.h>
#include <grpcpp/support/server_callback.h>

#include <atomic>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "control/ads_response.h"
#include "control/ca/certificate_authority.h"
#include "control/control_metrics.h"
#include "control/mesh_state.h"
#include "control/sidecar_registry.h"
#include "strait/v1/discovery.pb.h"

namespace strait::control {

class AdsStream;

// What every stream of one AdsService shares.
struct AdsHub {
  AdsHub(MeshState* m, SidecarRegistry* r, ControlMetrics* x, absl::Duration timeout, size_t max_bytes)
      : mesh(m), registry(r), metrics(x), withdraw_timeout(timeout), max_response_bytes(max_bytes) {}
  MeshState* const mesh;
  SidecarRegistry* const registry;
  ControlMetrics* const metrics;  // may be null
  const absl::Duration withdraw_timeout;
  // A response over this is not sent (the sidecar could not receive it): the stream records
  // a NACK naming the size and waits for the next version.
  const size_t max_response_bytes;
  ResponseCache cache;
  std::atomic<uint64_t> next_nonce{1};  // unique across all streams

  absl::Mutex mu;
  std::set<AdsStream*> streams ABSL_GUARDED_BY(mu);     // every live stream
  std::set<AdsStream*> withdrawing ABSL_GUARDED_BY(mu);  // waiting for the others to ACK
  bool stopping ABSL_GUARDED_BY(mu) = false;
};

class AdsStream final : public grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  // `peer`: the caller's verified identity (nullopt on a plaintext control plane).
  AdsStream(AdsHub* hub, grpc::CallbackServerContext* context, std::optional<ca::SpiffeId> peer);
  // A stream refused before it starts (no mesh client certificate): finishes with `status`.
  AdsStream(grpc::CallbackServerContext* context, const grpc::Status& status);

  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnDone() override;

  // Any thread (never holding this stream's mu): sends what is due, if nothing is in flight.
  void pump() ABSL_LOCKS_EXCLUDED(mu_);
  // The withdrawal thread: whether the wait for the others is over at `now` (the answer is
  // then due; the caller pumps).
  bool withdrawalDue(absl::Time now) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  enum class After { kNothing, kWorkloadUp, kDraining };
  // Handles one request; what to tell MeshState once mu_ is released.
  After handle(const strait::v1::DiscoveryRequest& req) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void handleReply(const strait::v1::DiscoveryRequest& req, After* after) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Finishes the call once no write is in flight.
  void finish(const grpc::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void startWrite(grpc::ByteBuffer buffer) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  AdsHub* const hub_;  // null for a refused stream
  grpc::CallbackServerContext* const context_;
  const std::optional<ca::SpiffeId> peer_;
  const std::string identity_;  // peer_ as a URI, or "(plaintext)"
  grpc::ByteBuffer read_buf_;   // owned by the one outstanding read

  absl::Mutex mu_;
  strait::v1::Node node_ ABSL_GUARDED_BY(mu_);  // from the first request
  uint64_t token_ ABSL_GUARDED_BY(mu_) = 0;     // SidecarRegistry token; 0 before the node is known
  bool deltas_ ABSL_GUARDED_BY(mu_) = false;    // the node accepts GenerationDelta
  grpc::ByteBuffer write_buf_ ABSL_GUARDED_BY(mu_);
  bool write_in_flight_ ABSL_GUARDED_BY(mu_) = false;
  bool awaiting_reply_ ABSL_GUARDED_BY(mu_) = false;  // a response sent, not yet ACKed/NACKed
  std::string sent_version_ ABSL_GUARDED_BY(mu_);
  std::string sent_nonce_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const ServedSnapshot> sent_ ABSL_GUARDED_BY(mu_);   // what the last response served
  bool sent_delta_ ABSL_GUARDED_BY(mu_) = false;
  std::shared_ptr<const ServedSnapshot> acked_ ABSL_GUARDED_BY(mu_);  // last ACKed on this stream
  bool workload_up_ ABSL_GUARDED_BY(mu_) = false;  // told MeshState (after the first ACK)
  bool withdrawing_ ABSL_GUARDED_BY(mu_) = false;
  std::string withdraw_version_ ABSL_GUARDED_BY(mu_);
  absl::Time withdraw_deadline_ ABSL_GUARDED_BY(mu_);
  bool withdrawn_due_ ABSL_GUARDED_BY(mu_) = false;
  bool read_done_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;  // Finish called, or will be after the write
  std::optional<grpc::Status> finish_after_write_ ABSL_GUARDED_BY(mu_);
};

}  // namespace strait::control
