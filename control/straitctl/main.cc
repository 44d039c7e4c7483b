// straitctl: offline validation of a config directory and status of a running strait-control.
//
//   straitctl validate DIR
//   straitctl [--control HOST:PORT] [--ca-file FILE [--server-name NAME]] status
//   straitctl [--control HOST:PORT] [--ca-file FILE [--server-name NAME]] hosts
// With --ca-file the connection is TLS, verifying strait-control's certificate against FILE
// (its <ca-dir>/root.pem); without it, plaintext (for strait-control --plaintext). Every call
// carries the operator token (--token-file; strait-control keeps it in <ca-dir>/operator.token).
#include <iostream>
#include <string>

#include "control/straitctl/commands.h"

namespace {

int usage() {
  std::cerr << "usage: straitctl validate DIR\n"
               "       straitctl [--control HOST:PORT] [--ca-file FILE [--server-name NAME]]\n"
               "                 [--token-file FILE] status | hosts"
            << std::endl;
  return 2;
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
  if (cmd == "status" && i + 1 == argc) return strait::ctl::status(target);
  if (cmd == "hosts" && i + 1 == argc) return strait::ctl::hosts(target);
  return usage();
}
