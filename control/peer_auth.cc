// Caller identity from the TLS auth context (see peer_auth.h).
#include "control/peer_auth.h"

#include <grpc/grpc_security_constants.h>
#include <grpcpp/grpcpp.h>

namespace strait::control {
namespace {

std::string joinProperty(const grpc::AuthContext& auth, const char* name) {
  std::string out;
  for (const grpc::string_ref& v : auth.FindPropertyValues(name)) out.append(v.data(), v.size());
  return out;
}

}  // namespace

absl::StatusOr<ca::SpiffeId> peerSpiffeId(const grpc::ServerContextBase& context,
                                          const ca::CertificateAuthority& ca) {
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  std::string leaf = auth ? joinProperty(*auth, GRPC_X509_PEM_CERT_PROPERTY_NAME) : "";
  if (leaf.empty()) return absl::NotFoundError("no client certificate");
  std::string chain = joinProperty(*auth, GRPC_X509_PEM_CERT_CHAIN_PROPERTY_NAME);
  return ca.verifyPeer(leaf, chain, absl::Now());
}

}  // namespace strait::control
