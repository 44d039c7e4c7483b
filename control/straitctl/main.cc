// straitctl: offline validation of a config directory and status of a running strait-control.
//
//   straitctl validate DIR
//   straitctl [--control HOST:PORT] [--ca-file FILE [--server-name NAME]] status
//             [--watch [--interval D]] [--until-converged [--timeout D]]
//   straitctl [--control HOST:PORT] [--ca-file FILE [--server-name NAME]] hosts
// With --ca-file the connection is TLS, verifying strait-control's certificate against FILE
// (its <ca-dir>/root.pem); without it, plaintext (for strait-control --plaintext). Every call
// carries the operator token (--token-file; strait-control keeps it in <ca-dir>/operator.token).
#include <iostream>
#include <string>

#include "absl/time/time.h"
#include "common/flag_value.h"
#include "control/straitctl/commands.h"

namespace {

int usage() {
  std::cerr << "usage: straitctl validate DIR\n"
               "       straitctl [--control HOST:PORT] [--ca-file FILE [--server-name NAME]]\n"
               "                 [--token-file FILE] status [STATUS-FLAGS] | hosts\n"
               "STATUS-FLAGS:\n"
               "  --watch             follow a rollout: re-poll every --interval (default 500ms) and\n"
               "                      print the version, refusal and sidecar lines that changed\n"
               "  --until-converged   (implies --watch) exit 0 once every connected sidecar has\n"
               "                      ACKed the served version, 1 after --timeout (default 60s)"
            << std::endl;
  return 2;
}

// `status` [--watch] [--until-converged] [--interval D] [--timeout D] (D: 500ms, 2s, 1m...).
int statusCommand(const strait::ctl::ControlTarget& target, int argc, char** argv, int i) {
  bool watch = false;
  strait::ctl::WatchOptions options;
  for (; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--watch") {
      watch = true;
      continue;
    }
    if (arg == "--until-converged") {
      watch = options.until_converged = true;
      continue;
    }
    std::string value;
    if (!strait::common::takeFlagValue(argc, argv, &i, &arg, &value)) return usage();
    absl::Duration* d = arg == "--interval" ? &options.interval : arg == "--timeout" ? &options.timeout : nullptr;
    if (d == nullptr || !absl::ParseDuration(value, d) || *d <= absl::ZeroDuration()) return usage();
  }
  return watch ? strait::ctl::statusWatch(target, options) : strait::ctl::status(target);
}

}  // namespace

int main(int argc, char** argv) {
  strait::ctl::ControlTarget target;
  int i = 1;
  while (i < argc && std::string(argv[i]).rfind("--", 0) == 0) {
    std::string arg = argv[i];
    std::string value;
    size_t eq = arg.find('=');
    if (eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg.resize(eq);
      i += 1;
    } else if (i + 1 < argc) {
      value = argv[i + 1];
      i += 2;
    } else {
      return usage();
    }
    if (arg == "--control") target.address = value;
    else if (arg == "--ca-file") target.ca_file = value;
    else if (arg == "--server-name") target.server_name = value;
    else if (arg == "--token-file") target.token_file = value;
    else return usage();
  }
  if (i >= argc) return usage();
  std::string cmd = argv[i];
  if (cmd == "validate" && i + 2 == argc) return strait::ctl::validate(argv[i + 1]);
  if (cmd == "status") return statusCommand(target, argc, argv, i + 1);
  if (cmd == "hosts" && i + 1 == argc) return strait::ctl::hosts(target);
  return usage();
}
