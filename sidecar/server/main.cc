// strait-sidecar --bootstrap FILE: parses flags, loads the bootstrap, runs until SIGINT/SIGTERM.
#include <signal.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "sidecar/server/sidecar_server.h"
#include "xds/yaml_proto.h"

int main(int argc, char** argv) {
  std::string bootstrap_path;
  for (int i = 1; i < argc; i++) {
    std::string arg = argv[i];
    if (arg == "--bootstrap" && i + 1 < argc) bootstrap_path = argv[++i];
    else if (arg.rfind("--bootstrap=", 0) == 0) bootstrap_path = arg.substr(12);
    else {
      fprintf(stderr, "usage: strait-sidecar --bootstrap FILE\n");
      return 2;
    }
  }
  if (bootstrap_path.empty()) {
    fprintf(stderr, "usage: strait-sidecar --bootstrap FILE\n");
    return 2;
  }
  strait::v1::Bootstrap bootstrap;
  if (auto s = strait::xds::yamlFileToMessage(bootstrap_path, &bootstrap); !s.ok()) {
    fprintf(stderr, "strait-sidecar: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  if (auto s = strait::server::normalizeBootstrap(bootstrap); !s.ok()) {
    fprintf(stderr, "strait-sidecar: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  // Signals are taken synchronously by this thread; every other thread inherits the mask.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);

  strait::server::SidecarServer server(bootstrap);
  if (auto s = server.start(); !s.ok()) {
    fprintf(stderr, "strait-sidecar: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  int sig = 0;
  sigwait(&set, &sig);
  fprintf(stderr, "strait-sidecar: signal %d, shutting down\n", sig);
  server.stop();
  return 0;
}
