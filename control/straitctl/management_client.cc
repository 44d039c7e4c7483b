// The management API client (see management_client.h).
#include "control/straitctl/management_client.h"

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace strait::ctl {
namespace {

constexpr auto kTimeout = std::chrono::seconds(5);

std::string orDash(const std::string& s) { return s.empty() ? "-" : s; }

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

// The operator token, from --token-file, $STRAIT_OPERATOR_TOKEN_FILE or ./strait-ca.
std::string operatorToken(const ControlTarget& target) {
  std::string path = target.token_file;
  if (path.empty() && std::getenv("STRAIT_OPERATOR_TOKEN_FILE") != nullptr) path = std::getenv("STRAIT_OPERATOR_TOKEN_FILE");
  if (path.empty()) path = "./strait-ca/operator.token";
  std::ifstream in(path);
  std::string token;
  if (in) in >> token;
  return token;
}

void prepare(grpc::ClientContext* ctx, const std::string& token) {
  ctx->set_deadline(std::chrono::system_clock::now() + kTimeout);
  if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
}

absl::Status failed(const char* what, const grpc::Status& st) {
  return absl::UnavailableError(absl::StrCat(what, ": ", st.error_message()));
}

}  // namespace

std::unique_ptr<ManagementClient> ManagementClient::create(const ControlTarget& target) {
  auto channel = makeChannel(target);
  if (channel == nullptr) return nullptr;
  return std::unique_ptr<ManagementClient>(
      new ManagementClient(strait::v1::ManagementService::NewStub(channel), operatorToken(target)));
}

absl::Status ManagementClient::fetchStatus(StatusSnapshot* out) {
  {
    grpc::ClientContext ctx;
    prepare(&ctx, token_);
    grpc::Status st = stub_->GetConfigStatus(&ctx, {}, &out->config);
    if (!st.ok()) return absl::UnavailableError(st.error_message());
  }
  grpc::ClientContext ctx;
  prepare(&ctx, token_);
  grpc::Status st = stub_->ListSidecars(&ctx, {}, &out->sidecars);
  if (!st.ok()) return failed("ListSidecars", st);
  return absl::OkStatus();
}

absl::Status ManagementClient::listServices(strait::v1::ListServicesResponse* out) {
  grpc::ClientContext ctx;
  prepare(&ctx, token_);
  grpc::Status st = stub_->ListServices(&ctx, {}, out);
  if (!st.ok()) return absl::UnavailableError(st.error_message());
  return absl::OkStatus();
}

std::string sidecarLine(const strait::v1::SidecarStatus& s) {
  std::string nack = absl::StrReplaceAll(s.last_nack_message(), {{"\r\n", "; "}, {"\n", "; "}});
  std::string line = absl::StrCat(s.node_id(), " service=", s.service(), " connected=", s.connected() ? "yes" : "no",
                                  " sent=", orDash(s.last_sent_version()), " acked=", orDash(s.last_acked_version()),
                                  " nacked=", orDash(s.last_nacked_version()), " nack=\"", nack, "\"",
                                  " identity=", orDash(s.identity()));
  if (!s.refused().empty()) absl::StrAppend(&line, " refused=\"", s.refused(), "\"");
  return line;
}

std::string refusalLine(const strait::v1::ConfigStatus& config) {
  if (config.last_error().empty()) return "";
  return absl::StrCat("config refused: ", absl::StrReplaceAll(config.last_error(), {{"\n", "; "}}));
}

}  // namespace strait::ctl
