// The mesh certificate authority of strait-control: signs workload certificates for CSRs
// (identity decided by the caller, never by the CSR), signs the control plane's own server
// certificate, verifies peers' mesh certificates, and holds the trust bundle.
//
// THREADS: create() once at start-up; afterwards the object is immutable and every const
// method may be called concurrently from gRPC threads (signing is serialized internally).
// SECRECY: the CA key never leaves this object; nothing here logs.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "control/ca/ca_storage.h"
#include "control/ca/cert_builder.h"
#include "control/ca/spiffe_id.h"

namespace strait::ca {

struct CaOptions {
  std::string ca_dir = "./strait-ca";     // --ca-dir: root.pem + root.key, created if absent
  std::string ca_cert_file;               // --ca-cert: given CA (then ca_dir is unused)
  std::string ca_key_file;                // --ca-key: its key
  std::vector<std::string> extra_trust_root_files;  // --extra-trust-root: added to the bundle
  std::string trust_domain = "strait.local";        // --trust-domain
  absl::Duration max_ttl = absl::Hours(24);         // --cert-ttl: default and maximum lifetime
};

struct IssuedCertificate {
  std::string chain_pem;   // leaf, then the CA chain (no root)
  std::string spiffe_id;   // the leaf's only URI SAN
  std::string serial_hex;  // leaf serial
  int64_t not_after_unix = 0;
};

// The control plane's own TLS credentials (key generated here, kept in memory).
struct ServerKeyPair {
  std::string cert_chain_pem;  // leaf + chain
  std::string key_pem;         // SECRET: private key, PEM
};

class CertificateAuthority {
 public:
  // Loads (or creates) the CA per `options`; errors say which file and why.
  static absl::StatusOr<std::unique_ptr<CertificateAuthority>> create(const CaOptions& options,
                                                                      absl::Time now);

  // Certifies the public key of `csr_pem` (its signature must verify; its subject and
  // extensions are ignored) as spiffe://<trust-domain>/ns/<ns>/sa/<sa>, CN = sa.
  // Lifetime: requested_ttl_seconds (0 = max) capped to [1 s, max_ttl]; notBefore = now-5s.
  // Errors: InvalidArgument (bad CSR/identity), Internal (OpenSSL).
  absl::StatusOr<IssuedCertificate> issueWorkload(const std::string& csr_pem, const std::string& ns,
                                                  const std::string& sa,
                                                  int64_t requested_ttl_seconds,
                                                  absl::Time now) const;

  // A fresh key and certificate for strait-control itself (serverAuth+clientAuth), 1 year
  // (never past the CA's own expiry).
  absl::StatusOr<ServerKeyPair> issueServer(const std::vector<std::string>& dns_names,
                                            const std::vector<std::string>& ips,
                                            absl::Time now) const;

  // Verifies a peer's certificate (PEM leaf; `chain_pem` may add intermediates) against the
  // trust bundle as a TLS client at `now`, and returns its SPIFFE ID, which must be its only
  // URI SAN and in this trust domain. Unauthenticated on any failure.
  absl::StatusOr<SpiffeId> verifyPeer(const std::string& leaf_pem, const std::string& chain_pem,
                                      absl::Time now) const;

  const std::string& trustBundlePem() const { return trust_bundle_pem_; }
  const std::string& trustDomain() const { return options_.trust_domain; }
  // True if create() generated a new root in ca_dir.
  bool createdRoot() const { return material_.created; }

 private:
  CertificateAuthority(CaOptions options, CaMaterial material, std::string bundle_pem)
      : options_(std::move(options)), material_(std::move(material)),
        trust_bundle_pem_(std::move(bundle_pem)) {}

  // Signs `key` per spec and returns leaf + chain PEM.
  absl::StatusOr<std::string> signChain(const CertSpec& spec, EVP_PKEY* key,
                                        tls::X509Ptr* leaf) const ABSL_LOCKS_EXCLUDED(sign_mu_);

  const CaOptions options_;
  const CaMaterial material_;
  const std::string trust_bundle_pem_;
  mutable absl::Mutex sign_mu_;  // one signature at a time with the CA key
};

}  // namespace strait::ca
