// strait-control: serves the config directory to sidecars over ADS, plus the management API.
//
//   strait-control --config-dir DIR [--listen HOST:PORT] [--port-file FILE]
#include <csignal>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>

#include "control/server.h"

namespace {

int Usage() {
  std::cerr << "usage: strait-control --config-dir DIR [--listen HOST:PORT] [--port-file FILE]"
            << std::endl;
  return 2;
}

// Hand-parsed flags; accepts "--flag value" and "--flag=value".
bool ParseFlags(int argc, char** argv, strait::control::ServerOptions* opts) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    size_t eq = arg.find('=');
    if (eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg.resize(eq);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      return false;
    }
    if (arg == "--config-dir") {
      opts->config_dir = value;
    } else if (arg == "--listen") {
      opts->listen = value;
    } else if (arg == "--port-file") {
      opts->port_file = value;
    } else {
      return false;
    }
  }
  return !opts->config_dir.empty();
}

}  // namespace

int main(int argc, char** argv) {
  strait::control::ServerOptions opts;
  if (!ParseFlags(argc, argv, &opts)) return Usage();
  // Block the stop signals in every thread; main waits for them with sigwait.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  strait::control::ControlServer server(opts);
  absl::Status st = server.Start();
  if (!st.ok()) {
    std::cerr << "strait-control: " << st.message() << std::endl;
    return 1;
  }
  int sig = 0;
  sigwait(&stop_signals, &sig);
  std::cerr << "strait-control: " << strsignal(sig) << ", shutting down" << std::endl;
  server.Shutdown();
  return 0;
}
