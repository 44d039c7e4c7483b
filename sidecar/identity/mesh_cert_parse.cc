// MeshCertificate assembly (see mesh_cert_parse.h).
#include "sidecar/identity/mesh_cert_parse.h"

#include "absl/strings/str_cat.h"
#include "control/ca/pki.h"

namespace strait::identity {

absl::StatusOr<std::shared_ptr<const tls::MeshCertificate>> makeMeshCertificate(
    const std::string& chain_pem, const std::string& bundle_pem, const std::string& spiffe_id,
    tls::EvpPkeyPtr key) {
  auto certs = ca::parseCertsPem(chain_pem);
  if (!certs.ok()) return absl::InvalidArgumentError(absl::StrCat("certificate_chain: ", certs.status().message()));
  auto trust = ca::storeFromPem(bundle_pem);
  if (!trust.ok()) return absl::InvalidArgumentError(absl::StrCat("trust_bundle: ", trust.status().message()));
  auto cert = std::make_shared<tls::MeshCertificate>();
  cert->leaf = std::move((*certs)[0]);
  for (size_t i = 1; i < certs->size(); ++i) cert->chain.push_back(std::move((*certs)[i]));
  if (X509_check_private_key(cert->leaf.get(), key.get()) != 1) {
    ca::openSslError();
    return absl::InvalidArgumentError("issued certificate does not certify our key");
  }
  std::vector<std::string> uris = ca::uriSans(cert->leaf.get());
  if (uris.size() != 1 || uris[0] != spiffe_id) {
    return absl::InvalidArgumentError(absl::StrCat("issued certificate is not for ", spiffe_id));
  }
  cert->key = std::move(key);
  cert->trust = std::move(*trust);
  cert->trust_bundle_pem = bundle_pem;
  cert->cert_chain_pem = chain_pem;
  cert->spiffe_id = spiffe_id;
  cert->serial_hex = ca::serialHex(cert->leaf.get());
  cert->not_after_unix = ca::notAfterUnix(cert->leaf.get());
  return std::shared_ptr<const tls::MeshCertificate>(std::move(cert));
}

}  // namespace strait::identity
