// `straitctl status` and `straitctl hosts`: ask strait-control's ManagementService.
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/strings/str_replace.h"
#include "control/straitctl/commands.h"
#include "strait/v1/admin.grpc.pb.h"

namespace strait::ctl {
namespace {

constexpr auto kTimeout = std::chrono::seconds(5);

std::string orDash(const std::string& s) { return s.empty() ? "-" : s; }

void printSidecar(const strait::v1::SidecarStatus& s) {
  std::string nack = absl::StrReplaceAll(s.last_nack_message(), {{"\r\n", "; "}, {"\n", "; "}});
  std::cout << s.node_id() << " service=" << s.service()
            << " connected=" << (s.connected() ? "yes" : "no")
            << " sent=" << orDash(s.last_sent_version())
            << " acked=" << orDash(s.last_acked_version())
            << " nacked=" << orDash(s.last_nacked_version()) << " nack=\"" << nack << "\""
            << " identity=" << orDash(s.identity());
  if (!s.refused().empty()) std::cout << " refused=\"" << s.refused() << "\"";
  std::cout << std::endl;
}

std::shared_ptr<grpc::Channel> makeChannel(const ControlTarget& target) {
  if (target.ca_file.empty()) {
    return grpc::CreateChannel(target.address, grpc::InsecureChannelCredentials());
  }
  std::ifstream in(target.ca_file);
  if (!in) {
    std::cerr << "straitctl: cannot read " << target.ca_file << std::endl;
    return nullptr;
  }
  std::ostringstream roots;
  roots << in.rdbuf();
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = roots.str();
  grpc::ChannelArguments args;
  args.SetSslTargetNameOverride(target.server_name);
  return grpc::CreateCustomChannel(target.address, grpc::SslCredentials(ssl), args);
}

}  // namespace

// The operator token, from --token-file, $STRAIT_OPERATOR_TOKEN_FILE or ./strait-ca.
static std::string operatorToken(const ControlTarget& target) {
  std::string path = target.token_file;
  if (path.empty() && std::getenv("STRAIT_OPERATOR_TOKEN_FILE") != nullptr) path = std::getenv("STRAIT_OPERATOR_TOKEN_FILE");
  if (path.empty()) path = "./strait-ca/operator.token";
  std::ifstream in(path);
  std::string token;
  if (in) in >> token;
  return token;
}

int status(const ControlTarget& target) {
  const std::string& control_address = target.address;
  std::string token = operatorToken(target);
  auto channel = makeChannel(target);
  if (channel == nullptr) return 1;
  auto stub = strait::v1::ManagementService::NewStub(channel);
  strait::v1::ConfigStatus config;
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + kTimeout);
    if (!token.empty()) ctx.AddMetadata("authorization", "Bearer " + token);
    grpc::Status st = stub->GetConfigStatus(&ctx, {}, &config);
    if (!st.ok()) {
      std::cerr << "straitctl: cannot reach " << control_address << ": " << st.error_message()
                << std::endl;
      return 1;
    }
  }
  strait::v1::ListSidecarsResponse sidecars;
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + kTimeout);
    if (!token.empty()) ctx.AddMetadata("authorization", "Bearer " + token);
    grpc::Status st = stub->ListSidecars(&ctx, {}, &sidecars);
    if (!st.ok()) {
      std::cerr << "straitctl: ListSidecars: " << st.error_message() << std::endl;
      return 1;
    }
  }
  std::cout << "serving version " << config.version() << std::endl;
  // The control plane's own refusal of the config directory (it keeps serving the version above).
  if (!config.last_error().empty()) {
    std::cout << "config refused: " << absl::StrReplaceAll(config.last_error(), {{"\n", "; "}}) << std::endl;
  }
  for (const auto& s : sidecars.sidecars()) printSidecar(s);
  return 0;
}

int hosts(const ControlTarget& target) {
  auto channel = makeChannel(target);
  if (channel == nullptr) return 1;
  auto stub = strait::v1::ManagementService::NewStub(channel);
  strait::v1::ListServicesResponse services;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + kTimeout);
  if (std::string token = operatorToken(target); !token.empty()) ctx.AddMetadata("authorization", "Bearer " + token);
  grpc::Status st = stub->ListServices(&ctx, {}, &services);
  if (!st.ok()) {
    std::cerr << "straitctl: cannot reach " << target.address << ": " << st.error_message() << std::endl;
    return 1;
  }
  std::cout << "# mesh services (straitctl hosts)" << std::endl;
  for (const auto& s : services.services()) {
    if (s.vip().empty()) {
      std::cerr << "straitctl: service " << s.name() << " has no address (strait-control has no --service-cidr)" << std::endl;
      continue;
    }
    std::cout << s.vip() << " " << s.name();
    if (!s.namespace_().empty()) std::cout << " " << s.name() << "." << s.namespace_() << " " << s.name() << "." << s.namespace_() << ".svc";
    std::cout << std::endl;
  }
  return 0;
}

}  // namespace strait::ctl
