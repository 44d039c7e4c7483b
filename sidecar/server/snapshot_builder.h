// Turns a received generation into a Snapshot ready to publish: validation (the same code
// strait-control runs), route compilation, cluster compilation, and listening sockets bound
// for every listener. Runs on the ADS thread, never on a worker.
//
// All or nothing: on any failure no socket opened here stays open and nothing is
// published. Sockets of `previous` are reused for listeners whose address is unchanged.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "sidecar/filters/shared_state.h"
#include "sidecar/core/snapshot.h"
#include "sidecar/tls/mesh_certificate.h"
#include "strait/v1/generation.pb.h"

namespace strait::server {

// Inputs beyond the generation.
struct BuildOptions {
  // The sidecar's mesh identity store (filled by the identity client); must outlive every
  // snapshot built with it.
  const tls::MeshCertificateStore* mesh = nullptr;
  // Whether the bootstrap configures a mesh identity; without one, listeners and clusters
  // that need the mesh certificate or trust bundle are refused (NACK).
  bool mesh_identity_enabled = false;
  // The bootstrap node's namespace: SERVICE clusters' default (until the mesh certificate,
  // whose SPIFFE ID names the sidecar's namespace and trust domain, is there).
  std::string node_namespace;
  // Filter state carried across generations (token buckets, caches); must outlive every
  // snapshot built with it. Null: a private store (tests).
  filters::SharedState* filter_state = nullptr;
};

// What one build did and how long each step took (the publisher logs it at debug and exports
// it in /stats). Steps not reached (a rejected generation) stay zero.
struct BuildReport {
  absl::Duration validate;  // xds::validateGeneration
  absl::Duration copy;      // the copy of the generation the snapshot keeps (config_dump, next diff)
  absl::Duration routes;    // route tables: content compared, changed ones compiled
  absl::Duration clusters;  // clusters: unchanged ones kept, others built (TLS contexts too)
  absl::Duration listeners; // listener TLS, sockets (reused or bound), access logs
  size_t route_tables_compiled = 0;
  size_t route_tables_reused = 0;  // same content as the previous generation's: not compiled
  size_t clusters_built = 0;
  size_t clusters_reused = 0;      // unchanged: compiled object and balancers kept

  absl::Duration build() const { return copy + routes + clusters + listeners; }
};

// Errors: INVALID_ARGUMENT from validation/compilation, FAILED_PRECONDITION when a socket
// cannot be bound; the message has one line per failing resource:
//   listener 'ingress': bind 127.0.0.1:10000: Address already in use
// TLS material is parsed and checked here (key matches, leaf not expired, cipher lists), so a
// bad secret rejects the whole generation:
//   listener 'web': tls.certificates[0]: secret 'web-cert': certificate_chain: <reason>
absl::StatusOr<std::shared_ptr<proxy::Snapshot>> buildSnapshot(const std::string& version,
                                                              const strait::v1::Generation& gen,
                                                              const proxy::Snapshot* previous,
                                                              const BuildOptions& options = {},
                                                              BuildReport* report = nullptr);

}  // namespace strait::server
