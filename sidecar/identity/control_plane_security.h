// How a sidecar secures its control-plane channel, from its bootstrap: the identity client
// (when identity.token_file is set) and the ADS client's TLS settings (when
// control_plane.plaintext is false), with the client certificate taken from the store.
// THREADS: main thread, at start-up.
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "sidecar/identity/identity_client.h"
#include "sidecar/tls/mesh_certificate.h"
#include "strait/v1/bootstrap.pb.h"
#include "xds/ads_client.h"

namespace strait::identity {

// Reads control_plane.ca_file and identity.token_file (errors name the file), fills
// ads->plaintext/tls, and returns the identity client to start (null when the bootstrap has
// no identity). `store` must outlive both clients.
absl::StatusOr<std::unique_ptr<IdentityClient>> setUpControlPlaneSecurity(
    const strait::v1::Bootstrap& bootstrap, tls::MeshCertificateStore* store,
    xds::AdsClient::Options* ads);

}  // namespace strait::identity
