// Wires a sidecar together from its bootstrap: workers, config publisher, health checker,
// admin endpoint and the ADS client. THREADS: main thread.
#pragma once

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "sidecar/filters/shared_state.h"
#include "sidecar/identity/identity_client.h"
#include "sidecar/upstream/health_checker.h"
#include "sidecar/server/admin_server.h"
#include "sidecar/server/config_publisher.h"
#include "sidecar/server/overload_monitor.h"
#include "sidecar/server/worker.h"
#include "sidecar/tls/mesh_certificate.h"
#include "strait/v1/bootstrap.pb.h"
#include "xds/ads_client.h"

namespace strait::server {

class SidecarServer {
 public:
  explicit SidecarServer(strait::v1::Bootstrap bootstrap);
  ~SidecarServer();

  // Starts everything; errors (bad bootstrap, admin bind failure) are returned, not fatal.
  absl::Status start();
  void stop();
  // Graceful shutdown, from any thread (SIGTERM, admin POST /drain): /ready answers 503;
  // a sidecar fronting a workload (bootstrap node.workload) first reports draining to the
  // control plane and keeps serving until it answers that the other sidecars no longer send
  // here (or half the drain time passed); then every worker stops accepting and closes its
  // connections as their requests finish. Idempotent.
  void drain();
  bool draining() const { return draining_.load(std::memory_order_relaxed); }
  // The workers were told to drain (after the endpoint's withdrawal, see drain()).
  bool workersDraining() const { return workers_draining_.load(std::memory_order_relaxed); }
  // Downstream connections still open on all workers.
  uint64_t activeConnections() const;
  // The bootstrap's drain_time (default 5 s).
  int64_t drainTimeMs() const;
  // The sidecar's mesh certificate (written by the identity client, read by TLS handshakes).
  tls::MeshCertificateStore& meshCertificates() { return mesh_store_; }

 private:
  void applyCachedGeneration();
  void drainWorkers();
  void saveToCache(const std::string& version, const strait::v1::Generation& gen);

  strait::v1::Bootstrap bootstrap_;
  tls::MeshCertificateStore mesh_store_;  // outlives workers and snapshots (declared first)
  filters::SharedState filter_state_;     // same: filter state carried across generations
  std::vector<std::unique_ptr<Worker>> workers_;
  std::unique_ptr<ConfigPublisher> publisher_;
  std::unique_ptr<proxy::HealthChecker> health_checker_;  // its own thread; writes HostState
  std::unique_ptr<AdminServer> admin_;
  std::unique_ptr<OverloadMonitor> overload_;  // null: no overload_manager in the bootstrap
  std::unique_ptr<identity::IdentityClient> identity_;  // fills mesh_store_ (null: no identity)
  std::unique_ptr<xds::AdsClient> ads_;
  std::atomic<bool> draining_{false};
  std::atomic<bool> workers_draining_{false};
  std::thread drain_thread_;  // waits for the endpoint's withdrawal, then drains the workers
  absl::Mutex drain_mu_;
  bool withdrawn_ ABSL_GUARDED_BY(drain_mu_) = false;  // or stopping
  // Serving the generation cache's copy: no generation from the control plane yet.
  std::atomic<bool> stale_{false};
};

// Checks and fills defaults of a bootstrap (node id/service required, admin loopback).
absl::Status normalizeBootstrap(strait::v1::Bootstrap& bootstrap);

}  // namespace strait::server
