// Management API (see management_service.h).
#include "control/management_service.h"

namespace strait::control {

grpc::Status ManagementService::ListSidecars(grpc::ServerContext*,
                                             const strait::v1::ListSidecarsRequest*,
                                             strait::v1::ListSidecarsResponse* response) {
  for (auto& s : registry_->list()) *response->add_sidecars() = std::move(s);
  return grpc::Status::OK;
}

grpc::Status ManagementService::GetConfigStatus(grpc::ServerContext*,
                                                const strait::v1::GetConfigStatusRequest*,
                                                strait::v1::ConfigStatus* response) {
  auto snap = source_->current();
  if (snap != nullptr) response->set_version(snap->version);
  response->set_last_error(source_->lastError());
  return grpc::Status::OK;
}

}  // namespace strait::control
