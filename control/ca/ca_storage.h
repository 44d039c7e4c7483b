// Where the mesh CA's signing certificate and key come from: a CA directory that holds a
// self-signed root (created on first start), or a given root/intermediate cert + key.
// Called once at start-up from the main thread.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "sidecar/tls/openssl_ptr.h"

namespace strait::ca {

struct CaMaterial {
  tls::X509Ptr cert;                // the signing CA certificate (root or intermediate)
  tls::EvpPkeyPtr key;              // its private key
  std::vector<tls::X509Ptr> chain;  // sent after every leaf: the CA cert if not a root, then
                                    // the intermediates above it (roots excluded)
  std::vector<tls::X509Ptr> roots;  // self-signed roots found (the start of the trust bundle)
  bool created = false;             // a new root was generated and written
};

// DIR/root.pem + DIR/root.key: loads them if root.pem exists, else creates an EC P-256
// self-signed root (CA:TRUE, 10 years, O=<trust_domain>) and writes the key 0600 in a 0700
// DIR (created if missing). Refuses a root.key readable by group/others.
absl::StatusOr<CaMaterial> loadOrCreateRoot(const std::string& dir,
                                            const std::string& trust_domain, absl::Time now);

// --ca-cert/--ca-key: `cert_file` holds the CA certificate first, optionally followed by the
// certificates above it (intermediates, then the root). Its key must match, it must be a CA.
absl::StatusOr<CaMaterial> loadGivenCa(const std::string& cert_file, const std::string& key_file);

}  // namespace strait::ca
