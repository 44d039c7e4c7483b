// straitctl's connection to strait-control's ManagementService (admin.proto), shared by
// `status`, `status --watch` and `hosts`.
// THREADS: one caller at a time. ERRORS: an unreachable control plane or a refused call
// is a non-OK status carrying gRPC's message.
#pragma once

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "control/straitctl/commands.h"
#include "strait/v1/admin.grpc.pb.h"

namespace strait::ctl {

// What `straitctl status` shows: the served version, the config refusal, every sidecar.
struct StatusSnapshot {
  strait::v1::ConfigStatus config;
  strait::v1::ListSidecarsResponse sidecars;
};

class ManagementClient {
 public:
  // nullptr (after printing why) when --ca-file cannot be read.
  static std::unique_ptr<ManagementClient> create(const ControlTarget& target);

  absl::Status fetchStatus(StatusSnapshot* out);
  absl::Status listServices(strait::v1::ListServicesResponse* out);

 private:
  ManagementClient(std::unique_ptr<strait::v1::ManagementService::Stub> stub, std::string token)
      : stub_(std::move(stub)), token_(std::move(token)) {}

  std::unique_ptr<strait::v1::ManagementService::Stub> stub_;
  std::string token_;  // the operator token ("" if none was found)
};

// One sidecar as `straitctl status` prints it (tests parse it: harness.parse_status).
std::string sidecarLine(const strait::v1::SidecarStatus& s);
// The config refusal line ("config refused: ..."), "" when the last load was accepted.
std::string refusalLine(const strait::v1::ConfigStatus& config);

}  // namespace strait::ctl
