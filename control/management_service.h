// admin.proto ManagementService: read-only views of the config source and the sidecars, for
// operators only: every call must carry the operator token (operator_auth.h).
// Threads: called by gRPC on any server thread; the source and registry are thread-safe.
#pragma once

#include <string>

#include "control/config_source.h"
#include "control/mesh_state.h"
#include "control/sidecar_registry.h"
#include "strait/v1/admin.grpc.pb.h"

namespace strait::control {

class ManagementService final : public strait::v1::ManagementService::Service {
 public:
  // Both must outlive the service.
  ManagementService(const ConfigSource* source, const MeshState* mesh, const SidecarRegistry* registry)
      : source_(source), mesh_(mesh), registry_(registry) {}
  // Every call must carry this operator token (see operator_auth.h). Set before serving.
  void requireOperatorToken(std::string token) { token_ = std::move(token); }

  grpc::Status ListSidecars(grpc::ServerContext* context,
                            const strait::v1::ListSidecarsRequest* request,
                            strait::v1::ListSidecarsResponse* response) override;
  grpc::Status GetConfigStatus(grpc::ServerContext* context,
                               const strait::v1::GetConfigStatusRequest* request,
                               strait::v1::ConfigStatus* response) override;
  grpc::Status ListServices(grpc::ServerContext* context, const strait::v1::ListServicesRequest* request,
                            strait::v1::ListServicesResponse* response) override;

 private:
  const ConfigSource* const source_;
  const MeshState* const mesh_;  // the version served
  const SidecarRegistry* const registry_;
  std::string token_;  // empty: refuse every call (no operator credential configured)
};

}  // namespace strait::control
