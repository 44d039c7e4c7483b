// One configuration generation, compiled: what every worker reads. Built and validated off
// the data path (server/snapshot_builder), then published to all workers at once as a
// shared_ptr<const Snapshot>. Immutable after publication; each request pins the snapshot
// it started with, so an in-flight request finishes on its own generation.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "sidecar/accesslog/access_log.h"
#include "sidecar/core/listener_counters.h"
#include "sidecar/net/address.h"
#include "sidecar/router/authz.h"
#include "sidecar/upstream/cluster_info.h"
#include "sidecar/router/route_table.h"
#include "sidecar/tls/server_context.h"
#include "sidecar/tracing/request_trace.h"
#include "strait/v1/generation.pb.h"

namespace strait::proxy {

// A bound listening socket. Shared by consecutive snapshots while the listener's address is
// unchanged, so an update never closes and re-binds a port; closed when the last snapshot
// using it is gone.
class ListenSocket {
 public:
  ListenSocket(int fd, net::Address address) : fd_(fd), address_(std::move(address)) {}
  ~ListenSocket() { ::close(fd_); }
  ListenSocket(const ListenSocket&) = delete;
  ListenSocket& operator=(const ListenSocket&) = delete;
  int fd() const { return fd_; }
  const net::Address& address() const { return address_; }
  // Open connections per client address (max_connections_per_client), kept with the socket
  // so that they survive generations. Any worker thread.
  bool tryAddClient(const std::string& ip, uint32_t max) {
    absl::MutexLock lock(&clients_mu_);
    uint32_t& n = clients_[ip];
    if (n >= max) {
      if (n == 0) clients_.erase(ip);
      return false;
    }
    n++;
    return true;
  }
  ListenerCounters& counters() { return counters_; }
  const ListenerCounters& counters() const { return counters_; }
  void removeClient(const std::string& ip) {
    absl::MutexLock lock(&clients_mu_);
    auto it = clients_.find(ip);
    if (it != clients_.end() && --it->second == 0) clients_.erase(it);
  }

 private:
  int fd_;
  net::Address address_;
  ListenerCounters counters_;
  absl::Mutex clients_mu_;
  absl::flat_hash_map<std::string, uint32_t> clients_ ABSL_GUARDED_BY(clients_mu_);
};

// Listener.tcp_clusters: connections to `destination` (a service's address and port) are
// relayed as bytes to `cluster`.
struct TcpRoute {
  net::Address destination;
  std::shared_ptr<const ClusterInfo> cluster;
};

struct ListenerInfo {
  std::string name;
  std::shared_ptr<ListenSocket> socket;
  const RouteTable* routes = nullptr;  // held by the snapshot (route_tables)
  size_t max_request_headers_bytes = 64 * 1024;
  int64_t idle_timeout_ms = 60000;
  int64_t request_headers_timeout_ms = 10000;  // HTTP/1.1: first byte of a request to end of head
  std::string forwarded_proto = "http";  // "https" by default on TLS listeners
  uint32_t xff_trusted_hops = 0;         // x-forwarded-for entries to trust (client address)
  uint32_t h2_max_control_frames = 1000;       // per 10 s (http_options.http2_max_control_frames)
  uint32_t h2_max_refused_header_blocks = 10;  // per connection
  size_t h2_connection_buffer_bytes = 4 << 20; // response bytes waiting for one client
  int64_t send_timeout_ms = 60000;             // no progress on waiting response bytes
  uint32_t body_min_bytes_per_second = 240;    // request_body_min_rate (0: off)
  int64_t body_rate_window_ms = 10000;
  uint32_t max_connections_per_client = 0;     // 0: no limit (counts in socket->tryAddClient())
  bool use_original_dst = false;               // interception: recover SO_ORIGINAL_DST at accept
  bool passthrough_tcp = false;                // ... and relay what is not HTTP to it
  int64_t protocol_detection_timeout_ms = 1000;  // ... or what stays silent this long
  std::vector<TcpRoute> tcp_routes;              // by original destination (use_original_dst)
  std::vector<uint16_t> tcp_ports;               // original destination ports relayed as TCP
  std::vector<std::shared_ptr<const accesslog::AccessLog>> access_logs;
  std::shared_ptr<const tracing::TracingConfig> tracing;  // null: not traced
  std::shared_ptr<const tls::ServerContext> tls;  // TLS termination; nullptr: plaintext
  std::shared_ptr<const AuthzPolicy> authz;       // per-request policy; nullptr: allow all

  // The TCP route of an original destination, or null (a few entries: a linear scan).
  const TcpRoute* tcpRouteFor(const net::Address& original_dst) const {
    for (const auto& r : tcp_routes) {
      if (r.destination.sameIpPort(original_dst)) return &r;
    }
    return nullptr;
  }
};

struct Snapshot {
  std::string version;
  absl::Time applied_at;
  strait::v1::Generation generation;  // as received (for config_dump; secrets redacted there)
  std::vector<ListenerInfo> listeners;
  // Shared with the previous snapshot when the route configuration's content is unchanged
  // (RouteTable::fingerprint()): an update elsewhere does not recompile its routes.
  absl::flat_hash_map<std::string, std::shared_ptr<const RouteTable>> route_tables;
  absl::flat_hash_map<std::string, std::shared_ptr<const ClusterInfo>> clusters;
  // Every endpoint's EndpointInfo::key (collected by the builder: workers look pools up in it).
  absl::flat_hash_set<std::string> endpoint_keys;

  const ListenerInfo* findListener(const std::string& name) const {
    for (const auto& l : listeners) {
      if (l.name == name) return &l;
    }
    return nullptr;
  }
  const ClusterInfo* findCluster(const std::string& name) const {
    auto it = clusters.find(name);
    return it == clusters.end() ? nullptr : it->second.get();
  }
};

using SnapshotPtr = std::shared_ptr<const Snapshot>;

}  // namespace strait::proxy
