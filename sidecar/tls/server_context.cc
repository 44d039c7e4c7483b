#include "sidecar/tls/server_context.h"

#include <openssl/core_names.h>
#include <openssl/rand.h>

#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "sidecar/tls/pem.h"
#include "sidecar/tls/tls_socket.h"

namespace strait::tls {
namespace {

const ServerContext* fromSsl(SSL* ssl) {
  return static_cast<const ServerContext*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
}

int serverNameCb(SSL* ssl, int*, void* arg) { return static_cast<const ServerContext*>(arg)->onServerName(ssl); }

int alpnSelectCb(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                 unsigned int inlen, void* arg) {
  return static_cast<const ServerContext*>(arg)->onAlpnSelect(out, outlen, in, inlen);
}

int ticketKeyCb(SSL* ssl, unsigned char* name, unsigned char* iv, EVP_CIPHER_CTX* cipher, EVP_MAC_CTX* mac,
                int enc) {
  return fromSsl(ssl)->onTicketKey(name, iv, cipher, mac, enc);
}

int certCb(SSL* ssl, void* arg) { return static_cast<const ServerContext*>(arg)->onCertificate(ssl); }

bool setMacKey(EVP_MAC_CTX* mac, unsigned char* key, size_t len) {
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, key, len),
                         OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                         OSSL_PARAM_construct_end()};
  return EVP_MAC_CTX_set_params(mac, params) == 1;
}

absl::Duration rotationOf(const strait::v1::DownstreamTls& config) {
  const auto& d = config.session_ticket_key_rotation();
  absl::Duration out = absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
  return out > absl::ZeroDuration() ? out : absl::Hours(1);
}

}  // namespace

absl::StatusOr<std::shared_ptr<const ServerContext>> ServerContext::create(
    const std::string& where, const strait::v1::DownstreamTls& config, const SecretMap& secrets,
    const MeshCertificateStore* mesh, time_t now) {
  auto fail = [&](const absl::Status& s) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": tls.", s.message()));
  };
  std::shared_ptr<ServerContext> self(new ServerContext(rotationOf(config)));
  self->alpn_wire_ = alpnWire(config.alpn_protocols(), kServerDefaultAlpn);
  self->use_mesh_certificate_ = config.use_mesh_certificate();
  self->permissive_ = config.mtls_mode() == strait::v1::MTLS_PERMISSIVE;
  self->mesh_ = mesh;
  X509StorePtr client_ca;
  if (config.mtls_mode() != strait::v1::MTLS_DISABLED) {
    if (!config.client_ca_secret().empty()) {
      auto store = loadTrust(secrets, config.client_ca_secret());
      if (!store.ok()) return fail(absl::InvalidArgumentError(absl::StrCat("client_ca_secret: ", store.status().message())));
      client_ca = std::move(*store);
    } else {
      self->mesh_trust_ = true;
    }
  }
  bool needs_mesh = self->use_mesh_certificate_ || self->mesh_trust_;
  if (needs_mesh && mesh == nullptr) {
    return fail(absl::FailedPreconditionError(
        "use_mesh_certificate/mesh trust: this sidecar has no mesh identity (bootstrap identity.token_file)"));
  }
  if (auto s = self->addCertificates(config, secrets, client_ca.get(), now); !s.ok()) return fail(s);
  return std::shared_ptr<const ServerContext>(std::move(self));
}

absl::Status ServerContext::addCertificates(const strait::v1::DownstreamTls& config, const SecretMap& secrets,
                                            X509_STORE* client_ca, time_t now) {
  if (use_mesh_certificate_) {
    Certificate cert{{}, newContext(true)};
    if (auto s = configure(cert.ctx.get(), config, client_ca); !s.ok()) return s;
    certificates_.push_back(std::move(cert));
    return absl::OkStatus();
  }
  if (config.certificates().empty()) return absl::InvalidArgumentError("certificates: at least one required");
  for (int i = 0; i < config.certificates_size(); i++) {
    const auto& ref = config.certificates(i);
    std::string field = absl::StrCat("certificates[", i, "]: ");
    auto loaded = loadCertKey(secrets, ref.secret(), now);
    if (!loaded.ok()) return absl::InvalidArgumentError(absl::StrCat(field, loaded.status().message()));
    Certificate cert{{}, newContext(true)};
    for (const auto& n : ref.server_names()) cert.server_names.push_back(absl::AsciiStrToLower(n));
    if (auto s = configure(cert.ctx.get(), config, client_ca); !s.ok()) return s;
    if (auto s = useCertKey(cert.ctx.get(), *loaded); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(field, "secret '", ref.secret(), "': ", s.message()));
    }
    certificates_.push_back(std::move(cert));
  }
  return absl::OkStatus();
}

// Every per-certificate context is configured alike: after an SNI switch OpenSSL reads the
// ALPN, verification and certificate callbacks from the context switched to.
absl::Status ServerContext::configure(SSL_CTX* ctx, const strait::v1::DownstreamTls& config, X509_STORE* client_ca) {
  if (ctx == nullptr) return absl::InternalError(absl::StrCat("context: ", lastSslError()));
  if (auto s = applyParams(ctx, config.params()); !s.ok()) return s;
  SSL_CTX_set_app_data(ctx, this);
  SSL_CTX_set_tlsext_servername_callback(ctx, serverNameCb);
  SSL_CTX_set_tlsext_servername_arg(ctx, this);
  SSL_CTX_set_alpn_select_cb(ctx, alpnSelectCb, this);
  SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, ticketKeyCb);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);  // stateless tickets only
  static const unsigned char kSidCtx[] = "strait";
  SSL_CTX_set_session_id_context(ctx, kSidCtx, sizeof(kSidCtx) - 1);
  if (use_mesh_certificate_ || mesh_trust_) SSL_CTX_set_cert_cb(ctx, certCb, this);
  switch (config.mtls_mode()) {
    case strait::v1::MTLS_STRICT:
      SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
      break;
    case strait::v1::MTLS_PERMISSIVE:
      SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);  // verified when sent
      break;
    default:
      SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  }
  if (client_ca != nullptr) SSL_CTX_set1_cert_store(ctx, client_ca);
  return absl::OkStatus();
}

std::unique_ptr<net::TransportSocket> ServerContext::newTransport() const {
  SslPtr ssl(SSL_new(certificates_[0].ctx.get()));
  if (!ssl) return nullptr;
  auto mode = permissive_ ? TlsSocket::Mode::kDetect : TlsSocket::Mode::kServer;
  return std::make_unique<TlsSocket>(std::move(ssl), mode, shared_from_this());
}

const ServerContext::Certificate* ServerContext::findByName(const std::string& name) const {
  for (const auto& c : certificates_) {
    for (const auto& n : c.server_names) {
      if (n == name) return &c;
    }
  }
  size_t dot = name.find('.');
  if (dot == std::string::npos) return nullptr;
  std::string wildcard = "*" + name.substr(dot);
  for (const auto& c : certificates_) {
    for (const auto& n : c.server_names) {
      if (n == wildcard) return &c;
    }
  }
  return nullptr;
}

int ServerContext::onServerName(SSL* ssl) const {
  const char* sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  if (sni == nullptr || certificates_.size() < 2) return SSL_TLSEXT_ERR_OK;
  const Certificate* cert = findByName(absl::AsciiStrToLower(sni));
  if (cert != nullptr && cert != &certificates_[0]) SSL_set_SSL_CTX(ssl, cert->ctx.get());
  return SSL_TLSEXT_ERR_OK;  // unknown names get the default certificate
}

int ServerContext::onAlpnSelect(const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                                unsigned int inlen) const {
  unsigned char* selected = nullptr;
  int r = SSL_select_next_proto(&selected, outlen, reinterpret_cast<const unsigned char*>(alpn_wire_.data()),
                                static_cast<unsigned int>(alpn_wire_.size()), in, inlen);
  if (r != OPENSSL_NPN_NEGOTIATED) return SSL_TLSEXT_ERR_NOACK;  // carry on without ALPN
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

int ServerContext::onTicketKey(unsigned char name[16], unsigned char* iv, EVP_CIPHER_CTX* cipher,
                               EVP_MAC_CTX* mac, int enc) const {
  TicketKeyRing::Key key;
  int result = 1;
  if (enc) {
    key = tickets_.encryptionKey();
    if (RAND_bytes(iv, EVP_CIPHER_get_iv_length(EVP_aes_256_cbc())) != 1) return -1;
    std::memcpy(name, key.name, sizeof(key.name));
    if (EVP_EncryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, key.aes, iv) != 1) return -1;
  } else {
    auto found = tickets_.decryptionKey(name, &key);
    if (found == TicketKeyRing::Lookup::kUnknown) return 0;  // full handshake
    if (EVP_DecryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, key.aes, iv) != 1) return -1;
    result = found == TicketKeyRing::Lookup::kPrevious ? 2 : 1;  // 2: issue a fresh ticket
  }
  bool ok = setMacKey(mac, key.hmac, sizeof(key.hmac));
  OPENSSL_cleanse(&key, sizeof(key));
  return ok ? result : -1;
}

// Runs once per handshake, after the SNI switch: the current mesh certificate and trust
// bundle, so renewals apply to new handshakes.
int ServerContext::onCertificate(SSL* ssl) const {
  std::shared_ptr<const MeshCertificate> cert = mesh_ ? mesh_->current() : nullptr;
  if (!cert) return 0;  // no mesh identity yet: fail the handshake
  if (use_mesh_certificate_) {
    if (!useMeshCertificate(ssl, *cert)) return 0;
  }
  if (mesh_trust_ && SSL_set1_verify_cert_store(ssl, cert->trust.get()) != 1) return 0;
  return 1;
}

}  // namespace strait::tls
