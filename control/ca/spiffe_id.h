// SPIFFE IDs of mesh workloads: spiffe://<trust-domain>/ns/<namespace>/sa/<service-account>.
// Plain value type; no I/O, any thread.
#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace strait::ca {

struct SpiffeId {
  std::string trust_domain;     // e.g. "strait.local"
  std::string ns;               // Kubernetes-style namespace
  std::string service_account;  // service account within the namespace

  std::string toUri() const;  // "spiffe://td/ns/x/sa/y"
};

// Parses a URI of exactly the form above; every part must pass validSpiffePart().
absl::StatusOr<SpiffeId> parseSpiffeId(const std::string& uri);

// True for non-empty strings of [A-Za-z0-9._-] (no '/', ',' or ':' can reach a URI or an
// OpenSSL extension string).
bool validSpiffePart(const std::string& part);

}  // namespace strait::ca
