// Control-plane channel security from the bootstrap (see control_plane_security.h).
#include "sidecar/identity/control_plane_security.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "control/ca/pki.h"

namespace strait::identity {
namespace {

// The client certificate for the ADS channel: the current mesh certificate, if still valid.
absl::StatusOr<xds::AdsClient::ClientCertPem> currentClientCert(tls::MeshCertificateStore* store) {
  auto cert = store->current();
  if (cert == nullptr) return absl::UnavailableError("no mesh certificate yet");
  if (cert->not_after_unix <= absl::ToUnixSeconds(absl::Now())) {
    return absl::UnavailableError("mesh certificate expired; waiting for a renewal");
  }
  auto key_pem = ca::keyToPem(cert->key.get());
  if (!key_pem.ok()) return key_pem.status();
  return xds::AdsClient::ClientCertPem{cert->cert_chain_pem, std::move(*key_pem)};
}

}  // namespace

absl::StatusOr<std::unique_ptr<IdentityClient>> setUpControlPlaneSecurity(
    const strait::v1::Bootstrap& bootstrap, tls::MeshCertificateStore* store,
    xds::AdsClient::Options* ads) {
  const auto& cp = bootstrap.control_plane();
  ads->plaintext = cp.plaintext();
  std::string ca_pem;
  if (!cp.plaintext()) {
    auto pem = ca::readFileToString(cp.ca_file());
    if (!pem.ok()) return absl::InvalidArgumentError(absl::StrCat("control_plane.ca_file: ", pem.status().message()));
    ca_pem = *pem;
    ads->tls.ca_pem = ca_pem;
    ads->tls.server_name = cp.server_name();
    ads->tls.client_cert = [store] { return currentClientCert(store); };
  }
  if (bootstrap.identity().token_file().empty()) return nullptr;
  auto token = ca::readFileToString(bootstrap.identity().token_file());
  if (!token.ok()) return absl::InvalidArgumentError(absl::StrCat("identity.token_file: ", token.status().message()));
  IdentityClient::Options opts;
  opts.address = cp.address();
  opts.plaintext = cp.plaintext();
  opts.ca_pem = ca_pem;
  opts.server_name = cp.server_name();
  opts.token = std::string(absl::StripAsciiWhitespace(*token));
  opts.ttl_seconds = bootstrap.identity().ttl_seconds();
  opts.node_id = bootstrap.node().id();
  if (opts.token.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("identity.token_file ",
                                                   bootstrap.identity().token_file(), " is empty"));
  }
  return std::make_unique<IdentityClient>(std::move(opts), store);
}

}  // namespace strait::identity
