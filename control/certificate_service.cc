// The CA's gRPC face (see certificate_service.h).
#include "control/certificate_service.h"

#include <iostream>

#include "absl/strings/str_cat.h"
#include "control/log_line.h"
#include "control/peer_auth.h"

namespace strait::control {
namespace {

grpc::Status toGrpc(const absl::Status& st) {
  grpc::StatusCode code = grpc::StatusCode::INTERNAL;
  if (st.code() == absl::StatusCode::kUnauthenticated) code = grpc::StatusCode::UNAUTHENTICATED;
  if (st.code() == absl::StatusCode::kInvalidArgument) code = grpc::StatusCode::INVALID_ARGUMENT;
  return grpc::Status(code, std::string(st.message()));
}

std::string authorizationHeader(const grpc::ServerContext& context) {
  auto it = context.client_metadata().find("authorization");
  if (it == context.client_metadata().end()) return "";
  return std::string(it->second.data(), it->second.size());
}

}  // namespace

absl::StatusOr<ca::TokenIdentity> CertificateService::authenticate(
    const grpc::ServerContext& context, std::string* method) const {
  auto peer = peerSpiffeId(context, *ca_);
  if (peer.ok()) {
    *method = "certificate";
    return ca::TokenIdentity{peer->ns, peer->service_account};
  }
  if (!absl::IsNotFound(peer.status())) return peer.status();
  std::string authorization = authorizationHeader(context);
  if (authorization.empty()) {
    return absl::UnauthenticatedError(
        "no credentials: send 'authorization: Bearer <bootstrap token>' or a mesh client "
        "certificate");
  }
  std::string token = ca::bearerToken(authorization);
  if (token.empty()) return absl::UnauthenticatedError("authorization is not 'Bearer <token>'");
  *method = "token";
  return tokens_->lookup(token);
}

grpc::Status CertificateService::IssueCertificate(
    grpc::ServerContext* context, const strait::v1::IssueCertificateRequest* request,
    strait::v1::IssueCertificateResponse* response) {
  std::string method;
  auto who = authenticate(*context, &method);
  absl::StatusOr<ca::IssuedCertificate> issued =
      who.ok() ? ca_->issueWorkload(request->csr_pem(), who->ns, who->service_account,
                                    request->requested_ttl_seconds(), absl::Now())
               : absl::StatusOr<ca::IssuedCertificate>(who.status());
  if (!issued.ok()) {
    logLine("strait-control: ca: refused certificate for ", context->peer(), ": ", issued.status().message());
    if (metrics_ != nullptr) metrics_->certificateFailed();
    return toGrpc(issued.status());
  }
  if (metrics_ != nullptr) metrics_->certificateIssued(issued->spiffe_id, method == "certificate");
  response->set_certificate_chain(issued->chain_pem);
  response->set_trust_bundle(ca_->trustBundlePem());
  response->set_spiffe_id(issued->spiffe_id);
  response->set_not_after_unix(issued->not_after_unix);
  logLine("strait-control: ca: issued ", issued->spiffe_id, " serial ", issued->serial_hex, " (by ", method, ") to ",
          context->peer(), ", expires in ", issued->not_after_unix - absl::ToUnixSeconds(absl::Now()), "s");
  return grpc::Status::OK;
}

grpc::Status CertificateService::GetTrustBundle(grpc::ServerContext*,
                                                const strait::v1::GetTrustBundleRequest*,
                                                strait::v1::TrustBundle* response) {
  response->set_roots_pem(ca_->trustBundlePem());
  return grpc::Status::OK;
}

}  // namespace strait::control
