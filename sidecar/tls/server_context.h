// TLS termination settings of one listener, compiled for one generation: certificates chosen
// by SNI (exact name, then "*.parent" wildcard; the first certificate is the default),
// ALPN selection, protocol parameters, rotating session-ticket keys, and client-certificate
// verification (mTLS strict or permissive). With use_mesh_certificate the sidecar's own
// mesh certificate (MeshCertificateStore::current()) is applied to each new handshake, so a
// renewal reaches new connections while established ones carry on; with no mesh
// certificate in the store the handshake fails.
//
// THREADS: create() on the config thread; newTransport() and the OpenSSL callbacks on any
// worker (the object is immutable after create() except the ticket key ring, which locks).
// OWNERSHIP: shared by the snapshot and by every connection made from it; `mesh` must
// outlive it (it belongs to the sidecar server).
#pragma once

#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "sidecar/net/transport_socket.h"
#include "sidecar/tls/context_common.h"
#include "sidecar/tls/mesh_certificate.h"
#include "sidecar/tls/ticket_keys.h"
#include "strait/v1/tls.pb.h"

namespace strait::tls {

class ServerContext : public std::enable_shared_from_this<ServerContext> {
 public:
  // `where` names the resource for errors ("listener 'web'"); every error reads
  //   listener 'web': tls.<field>: <reason>, e.g.
  //   listener 'web': tls.certificates[0]: secret 'web-cert': certificate_chain: <reason>
  static absl::StatusOr<std::shared_ptr<const ServerContext>> create(
      const std::string& where, const strait::v1::DownstreamTls& config, const SecretMap& secrets,
      const MeshCertificateStore* mesh, time_t now = time(nullptr));

  // A transport for a newly accepted connection (permissive listeners detect plaintext).
  std::unique_ptr<net::TransportSocket> newTransport() const;

  // OpenSSL callbacks (public for the C trampolines only).
  int onServerName(SSL* ssl) const;
  int onAlpnSelect(const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                   unsigned int inlen) const;
  int onTicketKey(unsigned char name[16], unsigned char* iv, EVP_CIPHER_CTX* cipher, EVP_MAC_CTX* mac,
                  int enc) const;
  int onCertificate(SSL* ssl) const;

 private:
  struct Certificate {
    std::vector<std::string> server_names;  // lower-case; "*.x" wildcards
    SslCtxPtr ctx;                          // presents this certificate
  };
  explicit ServerContext(absl::Duration ticket_rotation) : tickets_(ticket_rotation) {}
  absl::Status configure(SSL_CTX* ctx, const strait::v1::DownstreamTls& config, X509_STORE* client_ca);
  absl::Status addCertificates(const strait::v1::DownstreamTls& config, const SecretMap& secrets,
                               X509_STORE* client_ca, time_t now);
  const Certificate* findByName(const std::string& name) const;

  std::vector<Certificate> certificates_;  // [0] is the default (mesh: the only one)
  std::string alpn_wire_;                  // ALPN protocols in preference order
  bool use_mesh_certificate_ = false;
  bool mesh_trust_ = false;                // verify clients against the mesh bundle
  bool permissive_ = false;
  const MeshCertificateStore* mesh_ = nullptr;
  mutable TicketKeyRing tickets_;
};

}  // namespace strait::tls
