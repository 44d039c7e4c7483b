// ca.proto CertificateService: the mesh CA over gRPC (same port as ADS).
// Authentication of IssueCertificate, in this order:
//  1. a verified TLS client certificate (renewal): the identity is its SPIFFE ID;
//  2. metadata "authorization: Bearer <token>" found in the --tokens table (first issue).
// Anything else is UNAUTHENTICATED with the reason (logged with the peer address; tokens and
// keys are never logged). GetTrustBundle needs no authentication.
// Threads: any gRPC server thread; the CA and the token table are immutable.
#pragma once

#include "control/ca/certificate_authority.h"
#include "control/ca/token_auth.h"
#include "control/control_metrics.h"
#include "strait/v1/ca.grpc.pb.h"

namespace strait::control {

class CertificateService final : public strait::v1::CertificateService::Service {
 public:
  // All must outlive the service. `metrics` (may be null): issued, renewed, refused.
  CertificateService(const ca::CertificateAuthority* ca, const ca::TokenAuthenticator* tokens,
                     ControlMetrics* metrics = nullptr)
      : ca_(ca), tokens_(tokens), metrics_(metrics) {}

  grpc::Status IssueCertificate(grpc::ServerContext* context,
                                const strait::v1::IssueCertificateRequest* request,
                                strait::v1::IssueCertificateResponse* response) override;
  grpc::Status GetTrustBundle(grpc::ServerContext* context,
                              const strait::v1::GetTrustBundleRequest* request,
                              strait::v1::TrustBundle* response) override;

 private:
  // The caller's namespace/service account, and how it proved it ("certificate"/"token").
  absl::StatusOr<ca::TokenIdentity> authenticate(const grpc::ServerContext& context,
                                                 std::string* method) const;

  const ca::CertificateAuthority* const ca_;
  const ca::TokenAuthenticator* const tokens_;
  ControlMetrics* const metrics_;
};

}  // namespace strait::control
