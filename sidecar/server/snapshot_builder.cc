#include "sidecar/server/snapshot_builder.h"

#include <algorithm>
#include <optional>
#include <vector>

#include <google/protobuf/util/message_differencer.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "control/ca/spiffe_id.h"
#include "sidecar/net/address.h"
#include "xds/content_hash.h"
#include "sidecar/tls/client_context.h"
#include "sidecar/tls/server_context.h"
#include "xds/validate.h"

namespace strait::server {
namespace {

int64_t durationMs(const google::protobuf::Duration& d) { return d.seconds() * 1000 + d.nanos() / 1000000; }

const tls::MeshCertificateStore* meshOf(const BuildOptions& options) {
  return options.mesh_identity_enabled ? options.mesh : nullptr;
}

// Automatic mTLS for a SERVICE cluster without `tls` (see cluster.proto): the mesh
// certificate, and the service's SPIFFE ID as the only name accepted. The trust domain (and
// the default namespace) are the sidecar's own, from its certificate's SPIFFE ID.
strait::v1::UpstreamTls meshServiceTls(const strait::v1::Cluster& c, const BuildOptions& options) {
  std::string trust_domain = "strait.local";
  std::string own_ns = options.node_namespace.empty() ? "default" : options.node_namespace;
  if (auto cert = options.mesh->current()) {
    if (auto id = ca::parseSpiffeId(cert->spiffe_id); id.ok()) {
      trust_domain = id->trust_domain;
      own_ns = id->ns;
    }
  }
  strait::v1::UpstreamTls t;
  t.set_use_mesh_certificate(true);
  ca::SpiffeId service{trust_domain, c.service_namespace().empty() ? own_ns : c.service_namespace(), c.service()};
  t.add_match_subject_alt_names(service.toUri());
  return t;
}

// The previous generation's cluster named like `c`, if it is the same: the same Cluster, the
// same load assignment, and TLS settings and secrets with the same fingerprint (`tls_print`,
// "" for plaintext; the mesh certificate and trust bundle are read per connection, so they
// do not count). Identity by content: the workers keep its balancer; nothing is rebuilt.
std::shared_ptr<const proxy::ClusterInfo> unchangedCluster(
    const strait::v1::Cluster& c, const strait::v1::ClusterLoadAssignment* assignment, const std::string& tls_print,
    const proxy::Snapshot* previous,
    const absl::flat_hash_map<std::string, const strait::v1::ClusterLoadAssignment*>& previous_assignments,
    const absl::flat_hash_map<std::string, const strait::v1::Cluster*>& previous_clusters) {
  if (previous == nullptr) return nullptr;
  auto pc = previous_clusters.find(c.name());
  auto info = previous->clusters.find(c.name());
  if (pc == previous_clusters.end() || info == previous->clusters.end()) return nullptr;
  if ((info->second->tls ? info->second->tls->fingerprint() : std::string()) != tls_print) return nullptr;
  if (!google::protobuf::util::MessageDifferencer::Equals(*pc->second, c)) return nullptr;
  auto pa = previous_assignments.find(c.name());
  const strait::v1::ClusterLoadAssignment* before = pa == previous_assignments.end() ? nullptr : pa->second;
  if ((before == nullptr) != (assignment == nullptr)) return nullptr;
  if (before != nullptr && !google::protobuf::util::MessageDifferencer::Equals(*before, *assignment)) return nullptr;
  return info->second;
}

absl::Status buildClusters(const strait::v1::Generation& gen, const tls::SecretMap& secrets,
                           const BuildOptions& options, const proxy::Snapshot* previous,
                           proxy::Snapshot* snap, BuildReport* report) {
  absl::flat_hash_map<std::string, const strait::v1::ClusterLoadAssignment*> assignments;
  for (const auto& la : gen.load_assignments()) assignments[la.cluster_name()] = &la;
  absl::flat_hash_map<std::string, const strait::v1::ClusterLoadAssignment*> previous_assignments;
  absl::flat_hash_map<std::string, const strait::v1::Cluster*> previous_clusters;
  if (previous != nullptr) {
    for (const auto& la : previous->generation.load_assignments()) previous_assignments[la.cluster_name()] = &la;
    for (const auto& c : previous->generation.clusters()) previous_clusters[c.name()] = &c;
  }
  for (const auto& c : gen.clusters()) {
    std::shared_ptr<const tls::ClientContext> tls;
    bool auto_mtls = !c.has_tls() && c.type() == strait::v1::Cluster::SERVICE && meshOf(options) != nullptr;
    auto it = assignments.find(c.name());
    const strait::v1::ClusterLoadAssignment* assignment = it == assignments.end() ? nullptr : it->second;
    std::optional<strait::v1::UpstreamTls> upstream_tls;
    if (c.has_tls() || auto_mtls) {
      upstream_tls = auto_mtls ? meshServiceTls(c, options) : c.tls();
      // An HTTP/2 cluster over TLS negotiates h2 unless the config says otherwise.
      if (c.protocol() == strait::v1::Cluster::HTTP2 && upstream_tls->alpn_protocols().empty()) {
        upstream_tls->add_alpn_protocols("h2");
      }
    }
    std::string fingerprint = upstream_tls ? tls::ClientContext::fingerprintFor(*upstream_tls, secrets) : "";
    if (auto same = unchangedCluster(c, assignment, fingerprint, previous, previous_assignments, previous_clusters)) {
      for (const auto& ep : same->endpoints) snap->endpoint_keys.insert(ep.key);
      snap->clusters.emplace(c.name(), std::move(same));
      report->clusters_reused++;
      continue;
    }
    if (upstream_tls) {
      auto ctx = tls::ClientContext::create(absl::StrCat("cluster '", c.name(), "'"), *upstream_tls, secrets,
                                            meshOf(options));
      if (!ctx.ok()) return ctx.status();
      tls = std::move(*ctx);
    }
    const proxy::ClusterInfo* before = previous == nullptr ? nullptr : previous->findCluster(c.name());
    auto info = proxy::ClusterInfo::build(c, assignment, std::move(tls), before);
    if (!info.ok()) return info.status();
    for (const auto& ep : (*info)->endpoints) snap->endpoint_keys.insert(ep.key);
    snap->clusters.emplace(c.name(), std::move(*info));
    report->clusters_built++;
  }
  return absl::OkStatus();
}

// Route tables whose configuration has the same content as the previous generation's are
// shared with it (their compiled routes, filter factories and route stats are a function of
// that content alone); the others are compiled.
absl::Status buildRoutes(const strait::v1::Generation& gen, const BuildOptions& options,
                         const proxy::Snapshot* previous, proxy::Snapshot* snap, BuildReport* report) {
  for (const auto& rc : gen.route_configs()) {
    std::string identity = xds::deterministicBytes(rc);
    if (previous != nullptr) {
      auto it = previous->route_tables.find(rc.name());
      if (it != previous->route_tables.end() && it->second->fingerprint() == identity) {
        snap->route_tables.emplace(rc.name(), it->second);
        report->route_tables_reused++;
        continue;
      }
    }
    auto table = proxy::RouteTable::build(rc, options.filter_state, std::move(identity));
    if (!table.ok()) return table.status();
    snap->route_tables.emplace(rc.name(), std::move(*table));
    report->route_tables_compiled++;
  }
  return absl::OkStatus();
}

std::shared_ptr<proxy::ListenSocket> reusableSocket(const proxy::Snapshot* previous, const std::string& key) {
  if (previous == nullptr) return nullptr;
  for (const auto& l : previous->listeners) {
    if (l.socket->address().toString() == key) return l.socket;
  }
  return nullptr;
}

// Listener.tcp_clusters: each cluster at its service's address and port (the control plane
// fills service_vip from its --service-cidr; validation checked the rest).
absl::Status buildTcpRoutes(const strait::v1::Listener& l, const proxy::Snapshot& snap,
                            const absl::flat_hash_map<std::string, const strait::v1::Cluster*>& configs,
                            proxy::ListenerInfo* info) {
  for (const std::string& name : l.tcp_clusters()) {
    auto it = snap.clusters.find(name);
    auto config_it = configs.find(name);
    const strait::v1::Cluster* config = config_it == configs.end() ? nullptr : config_it->second;
    if (it == snap.clusters.end() || config == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("listener '", l.name(), "': tcp_clusters: unknown cluster '", name, "'"));
    }
    if (config->service_vip().empty()) {
      return absl::InvalidArgumentError(absl::StrCat("listener '", l.name(), "': tcp_clusters: cluster '", name,
                                                     "' has no service_vip (strait-control assigns one from its "
                                                     "--service-cidr)"));
    }
    auto destination = net::makeAddress(config->service_vip(), config->service_port());
    if (!destination.ok()) return destination.status();
    info->tcp_routes.push_back({*destination, it->second});
  }
  return absl::OkStatus();
}

// TLS contexts of every listener, before any socket is bound; one error line per listener.
absl::Status buildListenerTls(const strait::v1::Generation& gen, const tls::SecretMap& secrets,
                              const BuildOptions& options,
                              absl::flat_hash_map<std::string, std::shared_ptr<const tls::ServerContext>>* out) {
  std::vector<std::string> errors;
  for (const auto& l : gen.listeners()) {
    if (!l.has_tls()) continue;
    auto ctx = tls::ServerContext::create(absl::StrCat("listener '", l.name(), "'"), l.tls(), secrets,
                                          meshOf(options));
    if (!ctx.ok()) {
      errors.push_back(std::string(ctx.status().message()));
      continue;
    }
    (*out)[l.name()] = std::move(*ctx);
  }
  if (!errors.empty()) return absl::InvalidArgumentError(absl::StrJoin(errors, "\n"));
  return absl::OkStatus();
}

// Binds (or reuses) every listener's socket; collects one error line per failing listener.
absl::Status buildListeners(const strait::v1::Generation& gen, const proxy::Snapshot* previous,
                            const tls::SecretMap& secrets, const BuildOptions& options, proxy::Snapshot* snap) {
  absl::flat_hash_map<std::string, std::shared_ptr<const tls::ServerContext>> tls_contexts;
  if (auto s = buildListenerTls(gen, secrets, options, &tls_contexts); !s.ok()) return s;
  absl::flat_hash_map<std::string, const strait::v1::Cluster*> cluster_configs;  // for tcp_clusters
  if (std::any_of(gen.listeners().begin(), gen.listeners().end(),
                  [](const strait::v1::Listener& l) { return !l.tcp_clusters().empty(); })) {
    for (const auto& c : snap->generation.clusters()) cluster_configs[c.name()] = &c;
  }
  std::vector<std::string> errors;
  for (const auto& l : gen.listeners()) {
    auto addr = net::makeAddress(l.address(), l.port());
    if (!addr.ok()) {
      errors.push_back(absl::StrCat("listener '", l.name(), "': address: ", addr.status().message()));
      continue;
    }
    proxy::ListenerInfo info;
    info.name = l.name();
    info.socket = reusableSocket(previous, addr->toString());
    if (!info.socket) {
      auto fd = net::listenTcp(*addr);
      if (!fd.ok()) {
        errors.push_back(absl::StrCat("listener '", l.name(), "': ", fd.status().message()));
        continue;
      }
      info.socket = std::make_shared<proxy::ListenSocket>(*fd, *addr);
    }
    info.routes = snap->route_tables.at(l.route_config()).get();
    if (l.authorization().rules_size() > 0) info.authz = std::make_shared<proxy::AuthzPolicy>(l.authorization());
    const auto& opts = l.http_options();
    if (opts.max_request_headers_bytes() > 0) info.max_request_headers_bytes = opts.max_request_headers_bytes();
    if (opts.has_idle_timeout() && durationMs(opts.idle_timeout()) > 0) {
      info.idle_timeout_ms = durationMs(opts.idle_timeout());
    }
    if (opts.has_request_headers_timeout()) info.request_headers_timeout_ms = durationMs(opts.request_headers_timeout());
    if (auto it = tls_contexts.find(l.name()); it != tls_contexts.end()) {
      info.tls = it->second;
      info.forwarded_proto = "https";
    }
    if (!opts.forwarded_proto().empty()) info.forwarded_proto = opts.forwarded_proto();
    info.xff_trusted_hops = opts.xff_num_trusted_hops();
    if (opts.http2_max_control_frames() > 0) info.h2_max_control_frames = opts.http2_max_control_frames();
    if (opts.http2_max_connection_buffer_bytes() > 0) {
      info.h2_connection_buffer_bytes = opts.http2_max_connection_buffer_bytes();
    }
    info.max_connections_per_client = opts.max_connections_per_client();
    info.use_original_dst = l.use_original_dst();
    for (uint32_t port : l.tcp_ports()) info.tcp_ports.push_back(static_cast<uint16_t>(port));
    info.passthrough_tcp = l.passthrough_tcp();
    if (l.has_protocol_detection_timeout()) info.protocol_detection_timeout_ms = durationMs(l.protocol_detection_timeout());
    for (const auto& config : l.access_logs()) {
      auto log = accesslog::AccessLog::create(config);
      if (!log.ok()) {
        errors.push_back(absl::StrCat("listener '", l.name(), "': ", log.status().message()));
        break;
      }
      info.access_logs.push_back(std::move(*log));
    }
    if (info.access_logs.size() != static_cast<size_t>(l.access_logs_size())) continue;
    if (l.has_tracing()) {
      info.tracing = tracing::compileTracing(l.tracing().collector_cluster(), l.tracing().sample_rate(),
                                             l.tracing().always_sample_errors());
    }
    if (absl::Status st = buildTcpRoutes(l, *snap, cluster_configs, &info); !st.ok()) {
      errors.push_back(std::string(st.message()));
      continue;
    }
    if (opts.has_send_timeout()) info.send_timeout_ms = durationMs(opts.send_timeout());
    if (opts.has_request_body_min_rate()) {
      info.body_min_bytes_per_second = opts.request_body_min_rate().bytes_per_second();
      if (opts.request_body_min_rate().has_window()) {
        info.body_rate_window_ms = durationMs(opts.request_body_min_rate().window());
      }
    }
    if (opts.http2_max_refused_header_blocks() > 0) {
      info.h2_max_refused_header_blocks = opts.http2_max_refused_header_blocks();
    }
    snap->listeners.push_back(std::move(info));
  }
  if (!errors.empty()) return absl::FailedPreconditionError(absl::StrJoin(errors, "\n"));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::shared_ptr<proxy::Snapshot>> buildSnapshot(const std::string& version,
                                                              const strait::v1::Generation& gen,
                                                              const proxy::Snapshot* previous,
                                                              const BuildOptions& options,
                                                              BuildReport* report) {
  BuildReport unused;
  if (report == nullptr) report = &unused;
  absl::Time t = absl::Now();
  // The time since `t`, restarting it.
  auto lap = [&t] {
    absl::Time now = absl::Now();
    absl::Duration d = now - t;
    t = now;
    return d;
  };
  absl::Status valid = xds::validateGeneration(gen);
  report->validate = lap();
  if (!valid.ok()) return valid;
  auto snap = std::make_shared<proxy::Snapshot>();
  snap->version = version;
  snap->generation = gen;
  report->copy = lap();
  absl::Status s = buildRoutes(gen, options, previous, snap.get(), report);
  report->routes = lap();
  if (!s.ok()) return s;
  tls::SecretMap secrets = tls::indexSecrets(snap->generation);
  s = buildClusters(snap->generation, secrets, options, previous, snap.get(), report);
  report->clusters = lap();
  if (!s.ok()) return s;
  s = buildListeners(gen, previous, secrets, options, snap.get());
  report->listeners = lap();
  if (!s.ok()) return s;
  return snap;
}

}  // namespace strait::server
