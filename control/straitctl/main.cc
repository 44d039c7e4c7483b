// straitctl: offline validation of a config directory and status of a running strait-control.
//
//   straitctl validate DIR
//   straitctl [--control HOST:PORT] status
#include <iostream>
#include <string>

#include "control/straitctl/commands.h"

namespace {

int Usage() {
  std::cerr << "usage: straitctl validate DIR\n"
               "       straitctl [--control HOST:PORT] status"
            << std::endl;
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string control = "127.0.0.1:18000";
  int i = 1;
  while (i < argc && std::string(argv[i]).rfind("--", 0) == 0) {
    std::string arg = argv[i];
    if (arg.rfind("--control=", 0) == 0) {
      control = arg.substr(10);
      i += 1;
    } else if (arg == "--control" && i + 1 < argc) {
      control = argv[i + 1];
      i += 2;
    } else {
      return Usage();
    }
  }
  if (i >= argc) return Usage();
  std::string cmd = argv[i];
  if (cmd == "validate" && i + 2 == argc) return strait::ctl::Validate(argv[i + 1]);
  if (cmd == "status" && i + 1 == argc) return strait::ctl::Status(control);
  return Usage();
}
