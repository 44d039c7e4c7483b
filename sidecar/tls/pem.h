// PEM parsing and certificate checks for TLS contexts. Every error is a short reason meant
// to be prefixed with the resource and secret it came from by the caller, e.g.
//   listener 'web': tls.certificates[0]: secret 'web-cert': certificate_chain: <reason>
// THREADS: pure functions, any thread.
#pragma once

#include <ctime>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "sidecar/tls/openssl_ptr.h"

namespace strait::tls {

// All certificates of a PEM chain, leaf first; at least one.
absl::StatusOr<std::vector<X509Ptr>> parseCertificateChain(const std::string& pem);
// One private key (any PEM private-key format OpenSSL reads, unencrypted).
absl::StatusOr<EvpPkeyPtr> parsePrivateKey(const std::string& pem);
// A verification store holding every CA certificate of a PEM bundle; at least one.
absl::StatusOr<X509StorePtr> parseTrustBundle(const std::string& pem);
// The leaf must be valid at `now`: "certificate expired at ..." / "not valid before ...".
absl::Status checkValidity(X509* cert, time_t now);
// The key must belong to the certificate.
absl::Status checkKeyMatches(X509* cert, EVP_PKEY* key);
// The oldest error on this thread's OpenSSL error queue as text (queue cleared).
std::string lastSslError();

}  // namespace strait::tls
