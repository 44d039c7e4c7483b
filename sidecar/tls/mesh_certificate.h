// The sidecar's own mesh identity: the certificate issued by strait-control's CA for the
// key this process generated. Written by the identity client (its own thread) on every
// issue/renewal; read by TLS handshakes on the workers, which apply the current one to each
// NEW handshake (SSL_use_cert_and_key + the trust bundle as verify store), so a renewal
// takes effect for new connections while existing ones carry on.
//
// THREADS: set() from the identity thread; current() from any thread (a mutex-protected
// shared_ptr copy: one short lock per handshake, never per request).
// SECRECY: the private key exists only in `key` (and transiently in the identity client);
// it is never logged, never serialized to disk, never returned by config_dump.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "sidecar/tls/openssl_ptr.h"

namespace strait::tls {

struct MeshCertificate {
  X509Ptr leaf;                  // the issued certificate
  std::vector<X509Ptr> chain;    // intermediates (may be empty)
  EvpPkeyPtr key;                // this process's private key
  X509StorePtr trust;            // the mesh trust bundle (one or two roots)
  std::string trust_bundle_pem;  // same bundle, PEM (for gRPC channel credentials)
  std::string cert_chain_pem;    // leaf + chain, PEM
  std::string spiffe_id;         // URI SAN of the leaf
  std::string serial_hex;        // leaf serial, for logs/admin
  int64_t not_after_unix = 0;
};

class MeshCertificateStore {
 public:
  std::shared_ptr<const MeshCertificate> current() const ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    return current_;
  }
  void set(std::shared_ptr<const MeshCertificate> cert) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    current_ = std::move(cert);
  }

 private:
  mutable absl::Mutex mu_;
  std::shared_ptr<const MeshCertificate> current_ ABSL_GUARDED_BY(mu_);
};

}  // namespace strait::tls
