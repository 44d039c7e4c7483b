// Who is calling: the verified mesh identity of a gRPC caller's TLS client certificate.
// Threads: any gRPC server thread (the CA is immutable).
#pragma once

#include "absl/status/statusor.h"
#include "control/ca/certificate_authority.h"

namespace grpc {
class ServerContextBase;
}

namespace strait::control {

// The SPIFFE ID of the caller's client certificate, re-verified against the mesh trust
// bundle (gRPC already verified the chain at the handshake; this also checks the SAN and the
// trust domain). NotFound: no client certificate (plaintext, or TLS without one);
// Unauthenticated: a certificate that does not pass.
absl::StatusOr<ca::SpiffeId> peerSpiffeId(const grpc::ServerContextBase& context,
                                          const ca::CertificateAuthority& ca);

}  // namespace strait::control
