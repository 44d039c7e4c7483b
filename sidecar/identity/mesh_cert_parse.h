// Turns an IssueCertificate response plus this process's key into a MeshCertificate,
// checking that the leaf certifies that key. No I/O; any thread.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "sidecar/tls/mesh_certificate.h"

namespace strait::identity {

// `chain_pem`: leaf then intermediates; `bundle_pem`: trust roots; `key`: moved in.
// Errors if the PEM is malformed, the leaf does not match `key`, or the leaf's only URI SAN
// is not `spiffe_id`.
absl::StatusOr<std::shared_ptr<const tls::MeshCertificate>> makeMeshCertificate(
    const std::string& chain_pem, const std::string& bundle_pem, const std::string& spiffe_id,
    tls::EvpPkeyPtr key);

}  // namespace strait::identity
