// Builds and signs X.509 certificates for the mesh CA. No I/O; thread-safe (no shared
// state; the signing key is only read).
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "sidecar/tls/openssl_ptr.h"

namespace strait::ca {

// What goes into one certificate besides its key and issuer.
struct CertSpec {
  std::string common_name;               // subject CN
  std::string organization;              // subject O (may be empty)
  absl::Time not_before;                 // validity start
  absl::Time not_after;                  // validity end
  bool is_ca = false;                    // basicConstraints CA:TRUE + keyCertSign/cRLSign
  std::vector<std::string> uri_sans;     // e.g. the SPIFFE ID
  std::vector<std::string> dns_sans;     // host names (server certificates)
  std::vector<std::string> ip_sans;      // IP literals (server certificates)
};

// Certifies `public_key` per `spec`, signed by `issuer_key`. `issuer_cert` null means
// self-signed (issuer = subject). Serial: 128 random bits. Leaves get EKU
// serverAuth+clientAuth and keyUsage digitalSignature; all get SKI (and AKI if issued).
absl::StatusOr<tls::X509Ptr> buildCertificate(const CertSpec& spec, EVP_PKEY* public_key,
                                              X509* issuer_cert, EVP_PKEY* issuer_key);

}  // namespace strait::ca
