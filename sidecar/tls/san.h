// Subject-alternative-name checks on peer certificates.
// THREADS: pure functions, any thread.
#pragma once

#include <string>
#include <vector>

#include <openssl/x509.h>

namespace strait::tls {

// The first URI SAN starting with "spiffe://", or "".
std::string spiffeIdOf(X509* cert);
// True if the certificate carries one of `wanted`: an entry containing "://" must equal a
// URI SAN exactly; any other entry is a DNS name matched against the dNSName SANs (a
// certificate's "*.example.com" covers "api.example.com"; the subject CN is never used).
// An empty list matches any certificate.
bool matchSubjectAltNames(X509* cert, const std::vector<std::string>& wanted);

}  // namespace strait::tls
