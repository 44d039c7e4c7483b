#include "sidecar/tls/client_context.h"

#include <openssl/evp.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "sidecar/tls/pem.h"
#include "sidecar/tls/san.h"
#include "sidecar/tls/tls_socket.h"

namespace strait::tls {
namespace {

int verifyCb(int preverify_ok, X509_STORE_CTX* store) {
  SSL* ssl = static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  auto* self = static_cast<const ClientContext*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
  return self->onVerify(preverify_ok, store);
}

// Settings and the secrets they use, hashed: equal inputs give equal fingerprints.
std::string fingerprintOf(const strait::v1::UpstreamTls& config, const SecretMap& secrets) {
  std::string material = config.SerializeAsString();
  for (const std::string* name : {&config.trusted_ca_secret(), &config.client_certificate_secret()}) {
    auto it = secrets.find(*name);
    if (it != secrets.end()) material += it->second->SerializeAsString();
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(material.data(), material.size(), digest, &len, EVP_sha256(), nullptr);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), 16));
}

}  // namespace

std::string ClientContext::fingerprintFor(const strait::v1::UpstreamTls& config, const SecretMap& secrets) {
  return fingerprintOf(config, secrets);
}

absl::StatusOr<std::shared_ptr<const ClientContext>> ClientContext::create(
    const std::string& where, const strait::v1::UpstreamTls& config, const SecretMap& secrets,
    const MeshCertificateStore* mesh, time_t now) {
  std::shared_ptr<ClientContext> self(new ClientContext());
  self->mesh_ = mesh;
  if (auto s = self->configure(config, secrets, now); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": tls.", s.message()));
  }
  self->fingerprint_ = fingerprintOf(config, secrets);
  return std::shared_ptr<const ClientContext>(std::move(self));
}

absl::Status ClientContext::configure(const strait::v1::UpstreamTls& config, const SecretMap& secrets, time_t now) {
  sni_ = config.sni();
  match_sans_.assign(config.match_subject_alt_names().begin(), config.match_subject_alt_names().end());
  mesh_certificate_ = config.use_mesh_certificate();
  mesh_trust_ = config.trusted_ca_secret().empty();
  if ((mesh_certificate_ || mesh_trust_) && mesh_ == nullptr) {
    return absl::FailedPreconditionError(
        "use_mesh_certificate/mesh trust: this sidecar has no mesh identity (bootstrap identity.token_file)");
  }
  ctx_ = newContext(false);
  if (!ctx_) return absl::InternalError(absl::StrCat("context: ", lastSslError()));
  if (auto s = applyParams(ctx_.get(), config.params()); !s.ok()) return s;
  SSL_CTX_set_app_data(ctx_.get(), this);
  SSL_CTX_set_verify(ctx_.get(), SSL_VERIFY_PEER, verifyCb);
  if (!config.trusted_ca_secret().empty()) {
    auto store = loadTrust(secrets, config.trusted_ca_secret());
    if (!store.ok()) return absl::InvalidArgumentError(absl::StrCat("trusted_ca_secret: ", store.status().message()));
    SSL_CTX_set1_cert_store(ctx_.get(), store->get());
  }
  if (!config.client_certificate_secret().empty()) {
    auto cert = loadCertKey(secrets, config.client_certificate_secret(), now);
    if (!cert.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("client_certificate_secret: ", cert.status().message()));
    }
    if (auto s = useCertKey(ctx_.get(), *cert); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("client_certificate_secret: ", s.message()));
    }
  }
  std::string alpn = alpnWire(config.alpn_protocols(), kClientDefaultAlpn);
  if (SSL_CTX_set_alpn_protos(ctx_.get(), reinterpret_cast<const unsigned char*>(alpn.data()),
                              static_cast<unsigned int>(alpn.size())) != 0) {
    return absl::InvalidArgumentError(absl::StrCat("alpn_protocols: ", lastSslError()));
  }
  return absl::OkStatus();
}

std::unique_ptr<net::TransportSocket> ClientContext::newTransport() const {
  std::shared_ptr<const MeshCertificate> cert;
  if (mesh_certificate_ || mesh_trust_) {
    cert = mesh_->current();
    if (!cert) return nullptr;
  }
  SslPtr ssl(SSL_new(ctx_.get()));
  if (!ssl) return nullptr;
  if (!sni_.empty() && SSL_set_tlsext_host_name(ssl.get(), sni_.c_str()) != 1) return nullptr;
  if (mesh_certificate_ && !useMeshCertificate(ssl.get(), *cert)) return nullptr;
  if (mesh_trust_ && SSL_set1_verify_cert_store(ssl.get(), cert->trust.get()) != 1) return nullptr;
  return std::make_unique<TlsSocket>(std::move(ssl), TlsSocket::Mode::kClient, shared_from_this());
}

int ClientContext::onVerify(int preverify_ok, X509_STORE_CTX* store) const {
  if (!preverify_ok) return 0;
  if (X509_STORE_CTX_get_error_depth(store) != 0 || match_sans_.empty()) return 1;
  if (matchSubjectAltNames(X509_STORE_CTX_get_current_cert(store), match_sans_)) return 1;
  X509_STORE_CTX_set_error(store, X509_V_ERR_HOSTNAME_MISMATCH);
  return 0;
}

}  // namespace strait::tls
