// straitctl subcommands. Each returns the process exit code and prints to stdout/stderr.
#pragma once

#include <string>

namespace strait::ctl {

// `straitctl validate DIR`: loads DIR exactly like strait-control does.
int Validate(const std::string& dir);

// `straitctl [--control HOST:PORT] status`: the served version and every known sidecar.
int Status(const std::string& control_address);

}  // namespace strait::ctl
