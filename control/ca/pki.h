// Small OpenSSL helpers shared by the mesh CA (strait-control) and the sidecar's identity
// client: keys, PEM in/out, certificate fields. Every handle is an RAII owner from
// sidecar/tls/openssl_ptr.h. No I/O except readFileToString; thread-safe (no shared state).
// SECRECY: keyToPem's result is a private key; callers keep it in memory, never log it, and
// cleanse it (OPENSSL_cleanse) when done.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "sidecar/tls/openssl_ptr.h"

namespace strait::ca {

// A new EC P-256 key pair.
absl::StatusOr<tls::EvpPkeyPtr> generateP256Key();

// PEM (PKCS#8) of a private key; see SECRECY above.
absl::StatusOr<std::string> keyToPem(EVP_PKEY* key);
absl::StatusOr<tls::EvpPkeyPtr> parseKeyPem(const std::string& pem);

absl::StatusOr<std::string> certToPem(X509* cert);
// Every certificate in `pem`, in order; an error if there is none or one is malformed.
absl::StatusOr<std::vector<tls::X509Ptr>> parseCertsPem(const std::string& pem);
// A trust store holding every certificate of `pem`.
absl::StatusOr<tls::X509StorePtr> storeFromPem(const std::string& pem);

// A PEM PKCS#10 request for `key`, signed with it: subject CN = common_name, plus the given
// URI/DNS subjectAltNames (the mesh CA ignores both; tests use them to prove it).
absl::StatusOr<std::string> buildCsrPem(EVP_PKEY* key, const std::string& common_name,
                                        const std::vector<std::string>& sans = {});

// The certificate's serial number, lower-case hex without separators.
std::string serialHex(X509* cert);
// notAfter as seconds since the Unix epoch (0 if unreadable).
int64_t notAfterUnix(X509* cert);
// Every URI subjectAltName of the certificate.
std::vector<std::string> uriSans(X509* cert);
// True if the certificate's issuer is its subject and its signature checks with its own key.
bool isSelfSigned(X509* cert);

// The whole file; an error naming the path otherwise.
absl::StatusOr<std::string> readFileToString(const std::string& path);

// The oldest OpenSSL error on this thread's queue as text (clears the queue), for messages.
std::string openSslError();

}  // namespace strait::ca
