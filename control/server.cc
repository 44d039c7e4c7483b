// Wiring of strait-control (see server.h).
#include "control/server.h"

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "absl/strings/str_cat.h"

namespace strait::control {

ControlServer::ControlServer(ServerOptions options)
    : options_(std::move(options)),
      source_(options_.config_dir),
      ads_(&source_, &registry_),
      management_(&source_, &registry_) {}

ControlServer::~ControlServer() { Shutdown(); }

absl::Status ControlServer::Start() {
  absl::Status st = source_.LoadInitial();
  if (!st.ok()) return absl::Status(st.code(), absl::StrCat("config refused: ", st.message()));
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options_.listen, grpc::InsecureServerCredentials(), &port_);
  builder.RegisterService(&ads_);
  builder.RegisterService(&management_);
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", options_.listen));
  }
  if (!options_.port_file.empty()) {
    // Written then renamed, so a test polling for the file never reads half of it.
    std::string tmp = options_.port_file + ".tmp";
    std::ofstream(tmp) << port_ << "\n";
    std::rename(tmp.c_str(), options_.port_file.c_str());
  }
  st = source_.StartWatching();
  if (!st.ok()) return st;
  std::string host = options_.listen.substr(0, options_.listen.rfind(':'));
  std::cout << "strait-control: listening on " << host << ":" << port_ << ", serving version "
            << source_.Current()->version << std::endl;
  return absl::OkStatus();
}

void ControlServer::Shutdown() {
  source_.Stop();
  if (server_ == nullptr) return;
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  server_->Wait();
  server_.reset();
}

}  // namespace strait::control
