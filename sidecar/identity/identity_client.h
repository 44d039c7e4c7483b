// The sidecar's mesh identity: obtains and renews its certificate from strait-control's
// CertificateService (ca.proto) and publishes it to a MeshCertificateStore.
//
// Each issue generates a fresh EC P-256 key in memory (never written, never logged) and a
// CSR. The first request (or any request without a still-valid certificate, or after a
// renewal was refused) authenticates with the bootstrap token ("authorization: Bearer");
// renewals present the current mesh certificate as the TLS client certificate. Over a
// plaintext channel every request uses the token.
// Schedule: renew at ~50% of the remaining lifetime (+-10% jitter); on failure retry with
// backoff from 100 ms doubling, capped at a quarter of the current certificate's remaining
// lifetime (5 s while there is none), never below 100 ms.
//
// THREADS: start() spawns the identity thread, which does all the work; stop() (any other
// thread, once) cancels an in-flight call and joins. The store is written only from the
// identity thread.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "absl/synchronization/mutex.h"
#include "sidecar/tls/mesh_certificate.h"

namespace grpc {
class ClientContext;
}

namespace strait::identity {

class IdentityClient {
 public:
  struct Options {
    std::string address;      // host:port of strait-control
    bool plaintext = false;   // insecure channel (demo); otherwise TLS verified with ca_pem
    std::string ca_pem;       // roots that sign strait-control's certificate
    std::string server_name;  // name expected in strait-control's certificate
    std::string token;        // SECRET: bootstrap token
    int64_t ttl_seconds = 0;  // requested lifetime; 0 = the control plane's default
    std::string node_id;      // CSR subject CN (informational; the CA ignores it)
  };

  // `store` must outlive this object.
  IdentityClient(Options options, tls::MeshCertificateStore* store);
  ~IdentityClient();  // calls stop()

  void start();
  void stop() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void run();
  // One IssueCertificate round trip; on success publishes to the store.
  absl::Status issueOnce() ABSL_LOCKS_EXCLUDED(mu_);
  // Waits `d` unless stopped first; false when stopping.
  bool waitUnlessStopping(absl::Duration d) ABSL_LOCKS_EXCLUDED(mu_);

  const Options options_;
  tls::MeshCertificateStore* const store_;
  std::thread thread_;
  bool use_token_next_ = false;  // identity thread only: a renewal by certificate was refused

  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  grpc::ClientContext* call_ ABSL_GUARDED_BY(mu_) = nullptr;  // in-flight call, to cancel
};

}  // namespace strait::identity
