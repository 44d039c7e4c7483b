// strait-control's pieces wired together: config source, registry, gRPC server, and the
// optional plain-HTTP /metrics endpoint.
// Threads: start() and shutdown() from the main thread, once each.
#pragma once

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "control/ads_service.h"
#include "control/ca/certificate_authority.h"
#include "control/ca/token_auth.h"
#include "control/certificate_service.h"
#include "control/config_source.h"
#include "control/control_metrics.h"
#include "control/management_service.h"
#include "control/mesh_state.h"
#include "control/metrics_http_server.h"
#include "control/sidecar_registry.h"

namespace grpc {
class Server;
class ServerCredentials;
}

namespace strait::control {

struct ServerOptions {
  std::string config_dir;                // --config-dir, required
  std::string listen = "127.0.0.1:18000";  // --listen; port 0 picks a free port
  std::string port_file;                 // --port-file: bound port written here
  bool plaintext = false;                // --plaintext: no TLS (local demos only)
  std::string tokens_file;               // --tokens: bootstrap tokens (YAML); empty: none
  std::string operator_token_file;       // --operator-token-file: management API token;
                                         // default <ca-dir>/operator.token, created if absent
  ca::CaOptions ca;                      // --ca-dir, --ca-cert/--ca-key, --extra-trust-root,
                                         // --trust-domain, --cert-ttl
  absl::Duration endpoint_grace = absl::Seconds(10);   // --endpoint-grace
  // --push-debounce: endpoints coming and draining are published within this, batched.
  absl::Duration push_debounce = absl::Milliseconds(100);
  // --state-dir: where the served version and workloads are kept across restarts
  // (served_state.h), file served-state; default <ca-dir> (or "." with --ca-cert).
  std::string state_dir;
  size_t max_response_bytes = 0;  // 0: xds::kAdsMessageLimit (tests lower it)
  absl::Duration withdraw_timeout = absl::Seconds(5);  // --withdraw-timeout
  // --service-cidr: where mesh services get their addresses (service_vips.h); empty: none.
  // 240.240.0.0/16 is Istio's choice for the same purpose: reserved (class E), so never a
  // real destination, and intercepted before any route to it matters.
  std::string service_cidr = "240.240.0.0/16";
  std::string metrics_listen;     // --metrics-listen HOST:PORT: plain-HTTP GET /metrics; empty: off
  std::string metrics_port_file;  // --metrics-port-file: its bound port written here
};

class ControlServer {
 public:
  explicit ControlServer(ServerOptions options);
  ~ControlServer();

  // Loads the config and the CA (error: nothing started), starts serving and watching;
  // prints the "listening on" line. TLS mode: serves with a certificate it issues itself
  // (DNS strait-control, DNS localhost, IP 127.0.0.1), requests and verifies (but does not
  // require) client certificates; ADS then needs one, the management API does not.
  absl::Status start();
  // Stops the watcher, then the server (in-flight streams cancelled after a short grace).
  void shutdown();
  int port() const { return port_; }
  // The trust bundle PEM (after start()).
  const std::string& trustBundlePem() const { return ca_->trustBundlePem(); }

 private:
  const ServerOptions options_;
  ControlMetrics metrics_;  // first: the pieces below count into it
  ConfigSource source_;
  MeshState mesh_;  // what is served: source_ plus the live workloads' endpoints
  SidecarRegistry registry_;
  std::unique_ptr<ca::CertificateAuthority> ca_;
  ca::TokenAuthenticator tokens_;
  std::unique_ptr<AdsService> ads_;
  std::unique_ptr<CertificateService> certificates_;
  ManagementService management_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  int mesh_listener_ = -1;  // tells metrics_ of each new version
  std::unique_ptr<MetricsHttpServer> metrics_http_;

  absl::Status startCa();
  absl::Status startMetrics();
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials() const;
};

}  // namespace strait::control
