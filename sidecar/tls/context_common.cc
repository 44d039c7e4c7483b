#include "sidecar/tls/context_common.h"

#include "absl/strings/str_cat.h"
#include "sidecar/tls/pem.h"

namespace strait::tls {

SecretMap indexSecrets(const strait::v1::Generation& gen) {
  SecretMap out;
  for (const auto& s : gen.secrets()) out[s.name()] = &s;
  return out;
}

namespace {
absl::Status secretError(const std::string& secret, const char* field, const absl::Status& s) {
  return absl::InvalidArgumentError(absl::StrCat("secret '", secret, "': ", field, ": ", s.message()));
}
const strait::v1::Secret* findSecret(const SecretMap& secrets, const std::string& name) {
  auto it = secrets.find(name);
  return it == secrets.end() ? nullptr : it->second;
}
}  // namespace

absl::StatusOr<CertKey> loadCertKey(const SecretMap& secrets, const std::string& name, time_t now) {
  const strait::v1::Secret* secret = findSecret(secrets, name);
  if (secret == nullptr) return absl::InvalidArgumentError(absl::StrCat("unknown secret '", name, "'"));
  CertKey out;
  auto chain = parseCertificateChain(secret->certificate_chain());
  if (!chain.ok()) return secretError(name, "certificate_chain", chain.status());
  out.chain = std::move(*chain);
  if (auto s = checkValidity(out.chain[0].get(), now); !s.ok()) return secretError(name, "certificate_chain", s);
  auto key = parsePrivateKey(secret->private_key());
  if (!key.ok()) return secretError(name, "private_key", key.status());
  out.key = std::move(*key);
  if (auto s = checkKeyMatches(out.chain[0].get(), out.key.get()); !s.ok()) {
    return secretError(name, "private_key", s);
  }
  return out;
}

absl::StatusOr<X509StorePtr> loadTrust(const SecretMap& secrets, const std::string& name) {
  const strait::v1::Secret* secret = findSecret(secrets, name);
  if (secret == nullptr) return absl::InvalidArgumentError(absl::StrCat("unknown secret '", name, "'"));
  auto store = parseTrustBundle(secret->trusted_ca());
  if (!store.ok()) return secretError(name, "trusted_ca", store.status());
  return store;
}

SslCtxPtr newContext(bool server) {
  SslCtxPtr ctx(SSL_CTX_new(server ? TLS_server_method() : TLS_client_method()));
  if (!ctx) return ctx;
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                                  SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF |
                                     (server ? SSL_OP_CIPHER_SERVER_PREFERENCE : 0));
  // Read ahead: one read() fills OpenSSL's record buffer with every record the socket holds,
  // instead of a 5-byte header read and a body read per record. Bytes read ahead are seen by
  // SSL_has_pending (TlsSocket::hasBufferedInput), which Connection checks after a batch.
  SSL_CTX_set_read_ahead(ctx.get(), 1);
  return ctx;
}

absl::Status applyParams(SSL_CTX* ctx, const strait::v1::TlsParams& p) {
  int min = p.min_version() == strait::v1::TlsParams::TLSv1_3 ? TLS1_3_VERSION : TLS1_2_VERSION;
  if (SSL_CTX_set_min_proto_version(ctx, min) != 1) {
    return absl::InvalidArgumentError(absl::StrCat("params.min_version: ", lastSslError()));
  }
  if (!p.cipher_list().empty() && SSL_CTX_set_cipher_list(ctx, p.cipher_list().c_str()) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("params.cipher_list: no usable cipher in '", p.cipher_list(), "': ", lastSslError()));
  }
  if (!p.ciphersuites().empty() && SSL_CTX_set_ciphersuites(ctx, p.ciphersuites().c_str()) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("params.ciphersuites: invalid '", p.ciphersuites(), "': ", lastSslError()));
  }
  if (!p.curves().empty() && SSL_CTX_set1_groups_list(ctx, p.curves().c_str()) != 1) {
    return absl::InvalidArgumentError(absl::StrCat("params.curves: invalid '", p.curves(), "': ", lastSslError()));
  }
  return absl::OkStatus();
}

absl::Status useCertKey(SSL_CTX* ctx, const CertKey& cert) {
  if (SSL_CTX_use_certificate(ctx, cert.chain[0].get()) != 1) {
    return absl::InvalidArgumentError(absl::StrCat("certificate: ", lastSslError()));
  }
  for (size_t i = 1; i < cert.chain.size(); i++) {
    if (SSL_CTX_add1_chain_cert(ctx, cert.chain[i].get()) != 1) {
      return absl::InvalidArgumentError(absl::StrCat("chain: ", lastSslError()));
    }
  }
  if (SSL_CTX_use_PrivateKey(ctx, cert.key.get()) != 1) {
    return absl::InvalidArgumentError(absl::StrCat("private key: ", lastSslError()));
  }
  return absl::OkStatus();
}

namespace {
struct X509StackDeleter {
  void operator()(STACK_OF(X509)* s) const { sk_X509_free(s); }
};
}  // namespace

bool useMeshCertificate(SSL* ssl, const MeshCertificate& cert) {
  std::unique_ptr<STACK_OF(X509), X509StackDeleter> chain(sk_X509_new_null());
  if (!chain) return false;
  for (const auto& c : cert.chain) sk_X509_push(chain.get(), c.get());
  // Takes its own references to everything (override = 1 replaces a previous certificate).
  return SSL_use_cert_and_key(ssl, cert.leaf.get(), cert.key.get(), chain.get(), 1) == 1;
}

std::string alpnWire(const google::protobuf::RepeatedPtrField<std::string>& protocols,
                     std::string_view fallback) {
  std::string out;
  if (protocols.empty()) return std::string(fallback);
  for (const auto& p : protocols) {
    out.push_back(static_cast<char>(p.size()));
    out += p;
  }
  return out;
}

}  // namespace strait::tls
