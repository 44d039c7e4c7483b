// Small OpenSSL helpers shared by the mesh CA (strait-control) and the sidecar's identity
// client: keys, PEM in/out, certificate fields. Every handle is an RAII owner from
// sidecar/tls/openssl_ptr.h. No I/O except ReadFileToString; thread-safe (no shared state).
// SECRECY: KeyToPem's result is a private key; callers keep it in memory, never log it, and
// cleanse it (OPENSSL_cleanse) when done.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "sidecar/tls/openssl_ptr.h"

namespace strait::ca {

// A new EC P-256 key pair.
absl::StatusOr<tls::EvpPkeyPtr> GenerateP256Key();

// PEM (PKCS#8) of a private key; see SECRECY above.
absl::StatusOr<std::string> KeyToPem(EVP_PKEY* key);
absl::StatusOr<tls::EvpPkeyPtr> ParseKeyPem(const std::string& pem);

absl::StatusOr<std::string> CertToPem(X509* cert);
// Every certificate in `pem`, in order; an error if there is none or one is malformed.
absl::StatusOr<std::vector<tls::X509Ptr>> ParseCertsPem(const std::string& pem);
// A trust store holding every certificate of `pem`.
absl::StatusOr<tls::X509StorePtr> StoreFromPem(const std::string& pem);

// A PEM PKCS#10 request for `key`, signed with it: subject CN = common_name, plus the given
// URI/DNS subjectAltNames (the mesh CA ignores both; tests use them to prove it).
absl::StatusOr<std::string> BuildCsrPem(EVP_PKEY* key, const std::string& common_name,
                                        const std::vector<std::string>& sans = {});

// The certificate's serial number, lower-case hex without separators.
std::string SerialHex(X509* cert);
// notAfter as seconds since the Unix epoch (0 if unreadable).
int64_t NotAfterUnix(X509* cert);
// Every URI subjectAltName of the certificate.
std::vector<std::string> UriSans(X509* cert);
// True if the certificate's issuer is its subject and its signature checks with its own key.
bool IsSelfSigned(X509* cert);

// The whole file; an error naming the path otherwise.
absl::StatusOr<std::string> ReadFileToString(const std::string& path);

// The oldest OpenSSL error on this thread's queue as text (clears the queue), for messages.
std::string OpenSslError();

}  // namespace strait::ca
