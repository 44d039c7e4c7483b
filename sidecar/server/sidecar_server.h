// Wires a sidecar together from its bootstrap: workers, config publisher, health checker,
// admin endpoint and the ADS client. THREADS: main thread.
#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include "absl/status/status.h"
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
  // Graceful shutdown, from any thread (SIGTERM, admin POST /drain): every worker stops
  // accepting and closes its connections as their requests finish; /ready answers 503.
  // Idempotent.
  void drain();
  bool draining() const { return draining_.load(std::memory_order_relaxed); }
  // Downstream connections still open on all workers.
  uint64_t activeConnections() const;
  // The bootstrap's drain_time (default 5 s).
  int64_t drainTimeMs() const;
  // The sidecar's mesh certificate (written by the identity client, read by TLS handshakes).
  tls::MeshCertificateStore& meshCertificates() { return mesh_store_; }

 private:
  void applyCachedGeneration();
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
  // Serving the generation cache's copy: no generation from the control plane yet.
  std::atomic<bool> stale_{false};
};

// Checks and fills defaults of a bootstrap (node id/service required, admin loopback).
absl::Status normalizeBootstrap(strait::v1::Bootstrap& bootstrap);

}  // namespace strait::server
