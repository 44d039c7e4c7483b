// strait-sidecar --bootstrap FILE: parses flags, loads the bootstrap, runs until SIGINT (stop)
// or SIGTERM (graceful drain, then stop). `strait-sidecar wait-ready`: see wait_ready.h.
// `strait-sidecar waf-rules FILE`: prints the ModSecurity rules a Waf filter config (YAML)
// compiles to, e.g. to run the same rule set in another ModSecurity host (bench/waf.sh).
#include <signal.h>
#include <time.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "common/mutex_checks.h"
#include "common/log.h"
#include "sidecar/accesslog/log_file.h"
#include "sidecar/event/dispatcher.h"
#include "sidecar/filters/waf/waf_rules.h"
#include "sidecar/net/address.h"
#include "sidecar/server/sidecar_server.h"
#include "sidecar/server/wait_ready.h"
#include "xds/yaml_proto.h"

namespace {
int wafRulesMain(int argc, char** argv) {
  if (argc != 1) {
    fprintf(stderr, "usage: strait-sidecar waf-rules FILE (a Waf filter config in YAML)\n");
    return 2;
  }
  strait::v1::Waf waf;
  if (auto s = strait::xds::yamlFileToMessage(argv[0], &waf); !s.ok()) {
    fprintf(stderr, "strait-sidecar waf-rules: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  fputs(strait::filters::waf::rulesText(waf).c_str(), stdout);
  return 0;
}
}  // namespace

int main(int argc, char** argv) {
  strait::common::releaseBuildMutexChecks();
  if (argc >= 2 && std::string(argv[1]) == "wait-ready") return strait::server::waitReadyMain(argc - 2, argv + 2);
  if (argc >= 2 && std::string(argv[1]) == "waf-rules") return wafRulesMain(argc - 2, argv + 2);
  std::string bootstrap_path, node_id, workload_address, log_level;
  bool have_workload = false, check_only = false;
  for (int i = 1; i < argc; i++) {
    std::string arg = argv[i];
    if (arg == "--bootstrap" && i + 1 < argc) bootstrap_path = argv[++i];
    else if (arg.rfind("--bootstrap=", 0) == 0) bootstrap_path = arg.substr(12);
    else if (arg == "--node-id" && i + 1 < argc) node_id = argv[++i];
    else if (arg == "--log-level" && i + 1 < argc) log_level = argv[++i];
    else if (arg == "--workload-address" && i + 1 < argc) {
      workload_address = argv[++i];
      have_workload = true;
    } else if (arg == "--check") {
      check_only = true;
    } else {
      fprintf(stderr, "usage: strait-sidecar --bootstrap FILE [--node-id ID] [--workload-address IP] [--check]\n"
                      "                      [--log-level debug|info|warning|error]\n"
                      "       strait-sidecar wait-ready [--admin HOST:PORT] [--timeout SECONDS]\n"
                      "       strait-sidecar waf-rules FILE\n"
                      "  --node-id, --workload-address  override the bootstrap's node.id and\n"
                      "                      node.workload.address (e.g. from the pod's name and IP)\n"
                      "  --check             check the bootstrap and exit (0: valid)\n"
                      "  --log-level         the starting log level (default info; admin /logging changes it)\n");
      return 2;
    }
  }
  if (!log_level.empty()) {
    auto level = strait::common::parseLogLevel(log_level);
    if (!level.ok()) {
      fprintf(stderr, "strait-sidecar: --log-level: %s\n", std::string(level.status().message()).c_str());
      return 2;
    }
    strait::common::setLogLevel(*level);
  }
  if (bootstrap_path.empty()) {
    fprintf(stderr, "usage: strait-sidecar --bootstrap FILE\n");
    return 2;
  }
  strait::v1::Bootstrap bootstrap;
  if (auto s = strait::xds::yamlFileToMessage(bootstrap_path, &bootstrap); !s.ok()) {
    strait::common::logError("strait-sidecar: %s", s.message());
    return 1;
  }
  if (!node_id.empty()) bootstrap.mutable_node()->set_id(node_id);
  if (have_workload) {
    if (workload_address.empty()) {
      bootstrap.mutable_node()->clear_workload();
    } else if (!strait::net::makeAddress(workload_address, 1).ok()) {
      strait::common::logError("strait-sidecar: --workload-address: '%s' is not an IP address", workload_address);
      return 1;
    } else {
      bootstrap.mutable_node()->mutable_workload()->set_address(workload_address);
    }
  }
  if (auto s = strait::server::normalizeBootstrap(bootstrap); !s.ok()) {
    strait::common::logError("strait-sidecar: %s", s.message());
    return 1;
  }
  if (check_only) {
    strait::common::logInfo("strait-sidecar: bootstrap %s is valid (node %s, service %s)", bootstrap_path,
                            bootstrap.node().id(), bootstrap.node().service());
    return 0;
  }
  // Signals are taken synchronously by this thread; every other thread inherits the mask.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);

  strait::server::SidecarServer server(bootstrap);
  if (auto s = server.start(); !s.ok()) {
    strait::common::logError("strait-sidecar: %s", s.message());
    return 1;
  }
  // SIGTERM drains first (listeners closed, in-flight requests finish, up to drain_time);
  // SIGINT, or a second signal during the drain, stops at once.
  // SIGUSR1 reopens the log files (access logs, WAF audit log) after logrotate moved them.
  int sig = 0;
  while (sigwait(&set, &sig) == 0 && sig == SIGUSR1) strait::accesslog::LogFile::reopenAll();
  if (sig == SIGTERM) {
    server.drain();
    int64_t deadline = strait::event::monotonicMs() + server.drainTimeMs();
    timespec tick{0, 20 * 1000 * 1000};
    while ((!server.workersDraining() || server.activeConnections() > 0) &&
           strait::event::monotonicMs() < deadline) {
      int got = sigtimedwait(&set, nullptr, &tick);
      if (got == SIGUSR1) strait::accesslog::LogFile::reopenAll();
      else if (got > 0) break;
    }
    strait::common::logInfo("strait-sidecar: drained (%d connections left), shutting down",
                            server.activeConnections());
  } else {
    strait::common::logInfo("strait-sidecar: signal %d, shutting down", sig);
  }
  server.stop();
  return 0;
}
