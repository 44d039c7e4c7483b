// Management API (see management_service.h).
#include "control/management_service.h"

#include <algorithm>
#include <iostream>
#include <map>
#include <utility>

#include "control/log_line.h"
#include "control/operator_auth.h"

namespace strait::control {

namespace {

grpc::Status authorize(const grpc::ServerContext& context, const std::string& token) {
  if (token.empty()) return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "no operator token configured");
  absl::Status st = checkOperatorToken(context, token);
  if (st.ok()) return grpc::Status::OK;
  logLine("strait-control: refused management call from ", context.peer(), ": ", st.message());
  return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, std::string(st.message()));
}

}  // namespace

grpc::Status ManagementService::ListSidecars(grpc::ServerContext* context,
                                             const strait::v1::ListSidecarsRequest*,
                                             strait::v1::ListSidecarsResponse* response) {
  if (grpc::Status st = authorize(*context, token_); !st.ok()) return st;
  for (auto& s : registry_->list()) *response->add_sidecars() = std::move(s);
  return grpc::Status::OK;
}

grpc::Status ManagementService::GetConfigStatus(grpc::ServerContext* context,
                                                const strait::v1::GetConfigStatusRequest*,
                                                strait::v1::ConfigStatus* response) {
  if (grpc::Status st = authorize(*context, token_); !st.ok()) return st;
  auto snap = mesh_->current();
  if (snap != nullptr) response->set_version(snap->version);
  response->set_last_error(source_->lastError());
  return grpc::Status::OK;
}

grpc::Status ManagementService::ListServices(grpc::ServerContext* context, const strait::v1::ListServicesRequest*,
                                             strait::v1::ListServicesResponse* response) {
  if (grpc::Status st = authorize(*context, token_); !st.ok()) return st;
  auto snap = mesh_->current();
  if (snap == nullptr) return grpc::Status::OK;
  std::map<std::pair<std::string, std::string>, strait::v1::ServiceInfo> services;
  for (const auto& c : snap->config->clusters()) {
    if (c.type() != strait::v1::Cluster::SERVICE) continue;
    strait::v1::ServiceInfo& s = services[{c.service_namespace(), c.service()}];
    s.set_name(c.service());
    s.set_namespace_(c.service_namespace());
    s.set_vip(c.service_vip());
    s.add_ports(c.service_port());
  }
  for (auto& [key, s] : services) {
    std::sort(s.mutable_ports()->begin(), s.mutable_ports()->end());
    s.mutable_ports()->erase(std::unique(s.mutable_ports()->begin(), s.mutable_ports()->end()), s.mutable_ports()->end());
    *response->add_services() = std::move(s);
  }
  return grpc::Status::OK;
}

}  // namespace strait::control
