// strait-control's own metrics, rendered in the Prometheus text format for GET /metrics
// (metrics_http_server.h). Every family is prefixed strait_control_:
//   sidecars_connected                 gauge: ADS streams open (registry entries connected)
//   sidecars_acked{version}            gauge: connected sidecars whose last ACK is `version`;
//                                      only versions some sidecar holds (<= one per sidecar)
//   push_latency_seconds               histogram: version current -> every sidecar connected
//                                      then ACKed it or newer (push_tracker.h)
//   nacks_total{resource}              counter: per NACK, one per failing resource named in
//                                      its message ("kind 'name'" at the start of a line);
//                                      lines naming none count once as "unknown"; at most
//                                      kMaxNackResources values, the rest under "other"
//   certificates_issued_total          counter: workload certificates issued (renewals too)
//   certificate_renewals_total         counter: issued to a caller proving the identity with
//                                      its mesh certificate, or for an identity this process
//                                      already issued
//   certificate_failures_total         counter: IssueCertificate refused (credentials, CSR, CA)
//   responses_total{body}              counter: DiscoveryResponses written, body="full" (the
//                                      whole generation) or "delta" (GenerationDelta)
//   response_bytes_total{body}         counter: their bytes
//   config_loads_accepted_total        counter: config directory loads that validated
//   config_loads_refused_total         counter: loads refused (the last good version serves)
//   config_last_load_refused           gauge: 1 if the latest load was refused, else 0
//
// THREADS: every method from any thread (counters under one absl::Mutex; the push tracker
// has its own). OWNERSHIP: the server owns it; the services hold a pointer for their life.
#pragma once

#include <atomic>
#include <cstdint>
#include <set>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "control/prometheus_text.h"
#include "control/push_tracker.h"
#include "strait/v1/admin.pb.h"

namespace strait::control {

// The resources a NACK message names: "kind 'name'" for every line that starts so (as the
// sidecar reports them: "listener 'ingress': address: ..."), each once, in order of first
// appearance; "unknown" (once) if some non-empty line names none.
std::vector<std::string> nackResources(absl::string_view message);

class ControlMetrics {
 public:
  static constexpr size_t kMaxNackResources = 100;
  static constexpr size_t kMaxRememberedIdentities = 10000;  // for renewal detection

  ControlMetrics();

  // ADS streams (tokens from SidecarRegistry::connected).
  void sidecarConnected(uint64_t token) { push_.connected(token); }
  void sidecarAcked(uint64_t token, const std::string& version);
  void sidecarNacked(absl::string_view message) ABSL_LOCKS_EXCLUDED(mu_);
  void sidecarDisconnected(uint64_t token);
  // A DiscoveryResponse of `bytes` was written (a GenerationDelta or the whole generation).
  void responseSent(bool delta, size_t bytes) {
    (delta ? delta_responses_ : full_responses_).fetch_add(1, std::memory_order_relaxed);
    (delta ? delta_bytes_ : full_bytes_).fetch_add(bytes, std::memory_order_relaxed);
  }
  // MeshState made `version` current.
  void versionPublished(const std::string& version);

  // The CA issued a certificate for `spiffe_id`; `by_certificate`: the caller authenticated
  // with its mesh certificate.
  void certificateIssued(const std::string& spiffe_id, bool by_certificate) ABSL_LOCKS_EXCLUDED(mu_);
  void certificateFailed() ABSL_LOCKS_EXCLUDED(mu_);

  // The config source loaded the directory: accepted or refused.
  void configLoaded(bool accepted) ABSL_LOCKS_EXCLUDED(mu_);

  // The whole exposition; `sidecars` is SidecarRegistry::list() (for the two gauges).
  std::string render(const std::vector<strait::v1::SidecarStatus>& sidecars) const ABSL_LOCKS_EXCLUDED(mu_);

  const PushTracker& push() const { return push_; }

 private:
  PushTracker push_;
  // Per response of every stream: atomics, not mu_.
  std::atomic<uint64_t> full_responses_{0}, delta_responses_{0}, full_bytes_{0}, delta_bytes_{0};

  mutable absl::Mutex mu_;
  CappedLabelCounter nacks_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> issued_identities_ ABSL_GUARDED_BY(mu_);
  uint64_t certificates_issued_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t certificate_renewals_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t certificate_failures_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t loads_accepted_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t loads_refused_ ABSL_GUARDED_BY(mu_) = 0;
  bool last_load_refused_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace strait::control
