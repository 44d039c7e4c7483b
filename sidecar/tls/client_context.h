// TLS origination settings of one cluster, compiled for one generation: SNI, peer
// verification (trusted_ca_secret, or the mesh trust bundle), subject-alt-name matching
// (a mismatch fails the handshake, which the proxy reports as a connect failure), the
// client certificate (a Secret, or the sidecar's mesh certificate read at each new
// connection so renewals apply), ALPN and protocol parameters.
//
// THREADS: create() on the config thread; newTransport() and the verify callback on any
// worker (immutable after create()). OWNERSHIP: shared by the snapshot, the connection pools
// and every connection made from it; `mesh` must outlive it.
#pragma once

#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "sidecar/net/transport_socket.h"
#include "sidecar/tls/context_common.h"
#include "sidecar/tls/mesh_certificate.h"
#include "strait/v1/tls.pb.h"

namespace strait::tls {

class ClientContext : public std::enable_shared_from_this<ClientContext> {
 public:
  // `where` names the resource for errors ("cluster 'backend'"); errors read
  //   cluster 'backend': tls.client_certificate_secret: secret 'c': private_key: <reason>
  static absl::StatusOr<std::shared_ptr<const ClientContext>> create(
      const std::string& where, const strait::v1::UpstreamTls& config, const SecretMap& secrets,
      const MeshCertificateStore* mesh, time_t now = time(nullptr));

  // A transport for a new upstream connection; nullptr if it cannot be made (no mesh
  // certificate yet when one is needed).
  std::unique_ptr<net::TransportSocket> newTransport() const;
  // Equal for two contexts built from the same settings and secret contents: connections
  // of one may serve the other (the pool key).
  const std::string& fingerprint() const { return fingerprint_; }
  // What fingerprint() a context made from these would have (without making one).
  static std::string fingerprintFor(const strait::v1::UpstreamTls& config, const SecretMap& secrets);

  // Certificate verification callback (public for the C trampoline only).
  int onVerify(int preverify_ok, X509_STORE_CTX* store) const;

 private:
  ClientContext() = default;
  absl::Status configure(const strait::v1::UpstreamTls& config, const SecretMap& secrets, time_t now);

  SslCtxPtr ctx_;
  std::string sni_;
  std::vector<std::string> match_sans_;
  bool mesh_certificate_ = false;  // present the mesh certificate
  bool mesh_trust_ = false;        // verify against the mesh bundle
  const MeshCertificateStore* mesh_ = nullptr;
  std::string fingerprint_;
};

}  // namespace strait::tls
