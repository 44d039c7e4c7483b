// Building blocks shared by the server and client TLS contexts: secret lookup, PEM loading
// with errors that name the secret, protocol parameters, ALPN encoding.
// THREADS: config path only (the snapshot builder's thread).
#pragma once

#include <ctime>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "google/protobuf/repeated_field.h"
#include "sidecar/tls/mesh_certificate.h"
#include "sidecar/tls/openssl_ptr.h"
#include "strait/v1/generation.pb.h"
#include "strait/v1/tls.pb.h"

namespace strait::tls {

// Secrets of a generation by name (pointers into the generation).
using SecretMap = absl::flat_hash_map<std::string, const strait::v1::Secret*>;
SecretMap indexSecrets(const strait::v1::Generation& gen);

// A certificate chain (leaf first) with its key.
struct CertKey {
  std::vector<X509Ptr> chain;
  EvpPkeyPtr key;
};

// Loads certificate_chain + private_key of `secret`: parsed, key matching, leaf valid at
// `now`. Errors read "secret 'NAME': certificate_chain: <reason>" (or private_key).
absl::StatusOr<CertKey> loadCertKey(const SecretMap& secrets, const std::string& secret, time_t now);
// Loads trusted_ca of `secret`. Errors read "secret 'NAME': trusted_ca: <reason>".
absl::StatusOr<X509StorePtr> loadTrust(const SecretMap& secrets, const std::string& secret);

// A context with Strait's fixed choices (no renegotiation, partial writes, buffers released
// when idle, unexpected EOF treated as a close).
SslCtxPtr newContext(bool server);
// min version, cipher_list, ciphersuites, curves. Errors read "params.<field>: <reason>".
absl::Status applyParams(SSL_CTX* ctx, const strait::v1::TlsParams& params);
// Installs the certificate chain and key on the context.
absl::Status useCertKey(SSL_CTX* ctx, const CertKey& cert);
// Presents the mesh certificate (leaf, chain, key) on one connection. Data path.
bool useMeshCertificate(SSL* ssl, const MeshCertificate& cert);
// ALPN wire format (length-prefixed names); ["http/1.1"] when `protocols` is empty.
std::string alpnWire(const google::protobuf::RepeatedPtrField<std::string>& protocols,
                     std::string_view fallback);
// Defaults when a config lists no ALPN protocols (wire format: length-prefixed names).
// Listeners offer h2 then http/1.1; clusters ask for http/1.1 (HTTP/2 clusters: h2, set by
// the snapshot builder).
inline constexpr std::string_view kServerDefaultAlpn{"\x02h2\x08http/1.1", 12};
inline constexpr std::string_view kClientDefaultAlpn{"\x08http/1.1", 9};

}  // namespace strait::tls
