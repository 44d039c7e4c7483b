// strait-grpc-echo-server: the Echo service on plaintext HTTP/2 (h2c) for the mesh tests.
// main() parses flags, starts the server, waits for SIGTERM/SIGINT and shuts down (exit 0).
#include <signal.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "tests/grpc/echo_service.h"

namespace {

constexpr char kUsage[] =
    "usage: strait-grpc-echo-server --listen HOST:PORT [--port-file F]\n"
    "Serves strait.testing.Echo (proto/strait/testing/echo.proto) without TLS. PORT 0 picks\n"
    "a free port; --port-file receives the bound port once the server accepts calls.\n";

struct Flags {
  std::string listen;     // HOST:PORT given to gRPC
  std::string port_file;  // where to write the bound port; empty = nowhere
};

[[noreturn]] void usageError(const std::string& msg) {
  std::fprintf(stderr, "strait-grpc-echo-server: %s\n%s", msg.c_str(), kUsage);
  std::exit(2);
}

Flags parseFlags(int argc, char** argv) {
  Flags flags;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    }
    if (i + 1 >= argc) usageError("missing value for " + flag);
    std::string v = argv[++i];
    if (flag == "--listen") flags.listen = v;
    else if (flag == "--port-file") flags.port_file = v;
    else usageError("unknown flag " + flag);
  }
  if (flags.listen.empty()) usageError("--listen is required");
  return flags;
}

// Written to a temporary name and renamed so a reader never sees a partial port.
void writePortFile(const std::string& path, int port) {
  std::string tmp = path + ".tmp";
  FILE* f = std::fopen(tmp.c_str(), "w");
  if (f == nullptr) usageError("cannot write " + tmp + ": " + std::strerror(errno));
  std::fprintf(f, "%d\n", port);
  std::fclose(f);
  if (std::rename(tmp.c_str(), path.c_str()) != 0) usageError("cannot rename to " + path);
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags = parseFlags(argc, argv);
  // Blocked before gRPC starts its threads (they inherit the mask), so only sigwait() below
  // sees the signals and shutdown runs on this thread, not in a handler.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  strait::grpctest::EchoService service;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(flags.listen, grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    std::fprintf(stderr, "strait-grpc-echo-server: cannot listen on %s\n", flags.listen.c_str());
    return 1;
  }
  std::fprintf(stderr, "strait-grpc-echo-server: listening on port %d\n", port);
  if (!flags.port_file.empty()) writePortFile(flags.port_file, port);

  int sig = 0;
  sigwait(&stop_signals, &sig);
  std::fprintf(stderr, "strait-grpc-echo-server: signal %d, shutting down\n", sig);
  // Calls in flight get a second to finish (a delay_ms sleep notices the cancellation).
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  server->Wait();
  return 0;
}
