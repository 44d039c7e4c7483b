// strait-control's pieces wired together: config source, registry, gRPC server.
// Threads: Start() and Shutdown() from the main thread, once each.
#pragma once

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "control/ads_service.h"
#include "control/config_source.h"
#include "control/management_service.h"
#include "control/sidecar_registry.h"

namespace grpc {
class Server;
}

namespace strait::control {

struct ServerOptions {
  std::string config_dir;                // --config-dir, required
  std::string listen = "127.0.0.1:18000";  // --listen; port 0 picks a free port
  std::string port_file;                 // --port-file: bound port written here
};

class ControlServer {
 public:
  explicit ControlServer(ServerOptions options);
  ~ControlServer();

  // Loads the config (error: nothing started), starts serving and watching; prints the
  // "listening on" line.
  absl::Status Start();
  // Stops the watcher, then the server (in-flight streams cancelled after a short grace).
  void Shutdown();
  int port() const { return port_; }

 private:
  const ServerOptions options_;
  ConfigSource source_;
  SidecarRegistry registry_;
  AdsService ads_;
  ManagementService management_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

}  // namespace strait::control
