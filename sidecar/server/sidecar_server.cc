#include "sidecar/filters/waf/audit_log.h"
#include "sidecar/server/sidecar_server.h"

#include "absl/time/time.h"
#include "sidecar/server/generation_cache.h"
#include "sidecar/tracing/span_exporter.h"

#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "sidecar/identity/control_plane_security.h"
#include "sidecar/server/admin_handlers.h"

namespace strait::server {

absl::Status normalizeBootstrap(strait::v1::Bootstrap& b) {
  if (b.node().id().empty()) return absl::InvalidArgumentError("bootstrap: node.id is required");
  if (b.node().service().empty()) return absl::InvalidArgumentError("bootstrap: node.service is required");
  if (b.control_plane().address().empty()) b.mutable_control_plane()->set_address("127.0.0.1:18000");
  if (b.control_plane().server_name().empty()) b.mutable_control_plane()->set_server_name("strait-control");
  if (!b.control_plane().plaintext() && b.control_plane().ca_file().empty()) {
    return absl::InvalidArgumentError(
        "bootstrap: control_plane.ca_file is required for TLS (or plaintext: true, local demos only)");
  }
  if (!b.control_plane().plaintext() && b.identity().token_file().empty()) {
    return absl::InvalidArgumentError(
        "bootstrap: TLS to the control plane needs a mesh identity for the client certificate: "
        "set identity.token_file (or control_plane.plaintext: true, local demos only)");
  }
  if (b.admin().address().empty()) b.mutable_admin()->set_address("127.0.0.1");
  if (!b.has_admin()) b.mutable_admin()->set_port(9901);
  auto addr = net::makeAddress(b.admin().address(), b.admin().port());
  if (!addr.ok()) return absl::InvalidArgumentError(absl::StrCat("bootstrap: admin: ", addr.status().message()));
  if (b.workers() == 0) b.set_workers(std::max(1u, std::thread::hardware_concurrency()));
  if (b.workers() > 256) return absl::InvalidArgumentError("bootstrap: workers must be <= 256");
  if (!b.node().workload().address().empty() && !net::makeAddress(b.node().workload().address(), 1).ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("bootstrap: node.workload.address '", b.node().workload().address(), "' is not an IP address"));
  }
  if (absl::Status s = validateOverload(b.overload_manager()); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("bootstrap: ", s.message()));
  }
  return absl::OkStatus();
}

SidecarServer::SidecarServer(strait::v1::Bootstrap bootstrap) : bootstrap_(std::move(bootstrap)) {}

SidecarServer::~SidecarServer() { stop(); }

absl::Status SidecarServer::start() {
  if (bootstrap_.has_waf_audit_log()) {
    absl::Status s = filters::waf::AuditLog::configure(bootstrap_.waf_audit_log().path(),
                                                       bootstrap_.waf_audit_log().max_bytes());
    if (!s.ok()) return absl::InvalidArgumentError(absl::StrCat("bootstrap: ", s.message()));
  }
  std::vector<Worker*> raw;
  for (uint32_t i = 0; i < bootstrap_.workers(); i++) {
    workers_.push_back(std::make_unique<Worker>(static_cast<int>(i)));
    raw.push_back(workers_.back().get());
  }
  BuildOptions build_options;
  build_options.mesh = &mesh_store_;
  build_options.filter_state = &filter_state_;
  build_options.mesh_identity_enabled = !bootstrap_.identity().token_file().empty();
  build_options.node_namespace = bootstrap_.node().namespace_();
  publisher_ = std::make_unique<ConfigPublisher>(raw, build_options);
  // Spans go to the collector cluster's first available endpoint in the live generation.
  tracing::SpanExporter::start(bootstrap_.node().service(), [this](const std::string& cluster)
                                                                -> std::optional<net::Address> {
    proxy::SnapshotPtr snap = publisher_->current();
    const proxy::ClusterInfo* c = snap ? snap->findCluster(cluster) : nullptr;
    if (c == nullptr) return std::nullopt;
    int64_t now = event::monotonicMs();
    for (const auto& ep : c->endpoints) {
      if (ep.state->available(now)) return ep.address;
    }
    return std::nullopt;
  });

  xds::AdsClient::Options opts;
  opts.address = bootstrap_.control_plane().address();
  auto identity = identity::setUpControlPlaneSecurity(bootstrap_, &mesh_store_, &opts);
  if (!identity.ok()) return absl::InvalidArgumentError(absl::StrCat("bootstrap: ", identity.status().message()));
  identity_ = std::move(*identity);
  if (opts.plaintext) common::logWarning("strait-sidecar: WARNING: control-plane channel is PLAINTEXT");
  opts.node = bootstrap_.node();  // id, service, namespace, workload
  opts.nice = 10;  // config work yields to the workers (ads_client.h)
  opts.on_relabel = [this](const std::string& version) { publisher_->relabel(version); };
  health_checker_ = std::make_unique<proxy::HealthChecker>();
  ads_ = std::make_unique<xds::AdsClient>(
      opts, [this](const std::string& version, const strait::v1::Generation& gen, xds::AdsClient::Done done) {
        // apply() returns once the generation is live on every worker; then, on this (the
        // ADS) thread, never a worker's: the health checker gets it, and the cache file.
        absl::Status status = publisher_->apply(version, gen);
        if (status.ok()) {
          health_checker_->setSnapshot(publisher_->current());
          stale_.store(false, std::memory_order_relaxed);
          saveToCache(version, gen);
        }
        done(std::move(status));
      });

  AdminSources sources;
  sources.publisher = publisher_.get();
  sources.ads = ads_.get();
  sources.draining = &draining_;
  sources.stale = &stale_;
  sources.drain = [this] { drain(); };
  sources.health_checks = &health_checker_->stats();
  for (Worker* w : raw) sources.workers.push_back(w);
  admin_ = std::make_unique<AdminServer>(
      [sources](const std::string& method, const std::string& target) { return handleAdmin(sources, method, target); });
  auto admin_addr = net::makeAddress(bootstrap_.admin().address(), bootstrap_.admin().port());
  if (!admin_addr.ok()) return admin_addr.status();
  auto port = admin_->start(*admin_addr);
  if (!port.ok()) return absl::FailedPreconditionError(absl::StrCat("admin: ", port.status().message()));
  if (!bootstrap_.admin().port_file().empty()) {
    std::ofstream(bootstrap_.admin().port_file()) << *port << "\n";
  }
  common::logInfo("strait-sidecar: node %s (service %s), %u workers, admin on %s:%u, control plane %s",
                  bootstrap_.node().id(), bootstrap_.node().service(), bootstrap_.workers(),
                  bootstrap_.admin().address(), *port, opts.address);
  if (bootstrap_.has_overload_manager()) {
    OverloadMonitor::Sources sources;
    sources.connections = [this] { return activeConnections(); };
    sources.requests = [this] {
      uint64_t n = 0;
      for (const auto& w : workers_) n += w->workerStats().downstream_rq_active.load(std::memory_order_relaxed);
      return n;
    };
    overload_ = std::make_unique<OverloadMonitor>(bootstrap_.overload_manager(), std::move(sources));
    overload_->start();
  }
  for (auto& w : workers_) w->start();
  health_checker_->start();
  applyCachedGeneration();
  if (identity_) identity_->start();  // before ADS: its first certificate is ADS's client cert
  ads_->start();
  return absl::OkStatus();
}

// Runs before the ADS client starts (and after the workers), so nothing else applies meanwhile; waits until
// the cached generation is live or refused.
void SidecarServer::applyCachedGeneration() {
  const std::string& path = bootstrap_.generation_cache_file();
  if (path.empty()) return;
  auto cached = loadGeneration(path);
  if (!cached.ok()) {
    if (!absl::IsNotFound(cached.status())) {
      common::logWarning("strait-sidecar: %s", cached.status().message());
    }
    return;
  }
  const std::string& version = cached->version();
  absl::Status status = publisher_->apply(version, cached->generation());  // the workers are running
  if (status.ok()) {
    health_checker_->setSnapshot(publisher_->current());
    stale_.store(true, std::memory_order_relaxed);
    common::logInfo("strait-sidecar: serving the cached generation %s from %s (stale until the control plane "
                    "sends one)", version, path);
  } else {
    common::logWarning("strait-sidecar: cached generation %s refused: %s", version, status.message());
  }
}

void SidecarServer::saveToCache(const std::string& version, const strait::v1::Generation& gen) {
  const std::string& path = bootstrap_.generation_cache_file();
  if (path.empty()) return;
  if (absl::Status s = saveGeneration(path, version, gen); !s.ok()) {
    common::logWarning("strait-sidecar: %s", s.message());
  }
}

void SidecarServer::drain() {
  if (draining_.exchange(true)) return;
  if (ads_ == nullptr || bootstrap_.node().workload().address().empty()) return drainWorkers();
  common::logInfo("strait-sidecar: draining: asking the control plane to withdraw this workload's endpoint");
  ads_->reportDraining([this] {
    absl::MutexLock lock(&drain_mu_);
    withdrawn_ = true;
  });
  drain_thread_ = std::thread([this] {
    {
      absl::MutexLock lock(&drain_mu_);
      if (!drain_mu_.AwaitWithTimeout(absl::Condition(&withdrawn_), absl::Milliseconds(drainTimeMs() / 2))) {
        common::logWarning("strait-sidecar: the control plane did not confirm the withdrawal in time");
      }
    }
    drainWorkers();
  });
}

void SidecarServer::drainWorkers() {
  common::logInfo("strait-sidecar: draining: listeners closed, connections close as their requests finish");
  for (auto& w : workers_) w->drain();
  workers_draining_ = true;
}

uint64_t SidecarServer::activeConnections() const {
  uint64_t n = 0;
  for (const auto& w : workers_) n += w->workerStats().downstream_cx_active.load(std::memory_order_relaxed);
  return n;
}

int64_t SidecarServer::drainTimeMs() const {
  if (!bootstrap_.has_drain_time()) return 5000;
  const auto& d = bootstrap_.drain_time();
  return d.seconds() * 1000 + d.nanos() / 1000000;
}

void SidecarServer::stop() {
  {
    absl::MutexLock lock(&drain_mu_);
    withdrawn_ = true;  // a drain still waiting goes on at once
  }
  if (drain_thread_.joinable()) drain_thread_.join();
  if (ads_) ads_->stop();
  if (identity_) identity_->stop();
  if (admin_) admin_->stop();
  if (health_checker_) health_checker_->stop();
  if (overload_) overload_->stop();  // reads the workers' counters
  for (auto& w : workers_) w->stop();
  filters::waf::AuditLog::shutdown();  // after the workers: their last lines are written
  tracing::SpanExporter::stop();        // likewise, their last spans
}

}  // namespace strait::server
