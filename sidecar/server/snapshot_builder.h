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
#include "sidecar/proxy/snapshot.h"
#include "strait/v1/generation.pb.h"

namespace strait::server {

// Errors: INVALID_ARGUMENT from validation/compilation, FAILED_PRECONDITION when a socket
// cannot be bound; the message has one line per failing resource:
//   listener 'ingress': bind 127.0.0.1:10000: Address already in use
absl::StatusOr<std::shared_ptr<proxy::Snapshot>> buildSnapshot(const std::string& version,
                                                              const strait::v1::Generation& gen,
                                                              const proxy::Snapshot* previous);

}  // namespace strait::server
