// strait-control's log lines: the pieces are put together first and the line is written with
// one write(2) (common/log.h), so lines from the gRPC threads (many sidecars connecting at
// once) never interleave, as `std::cerr << a << b` pieces did.
// THREADS: any.
#pragma once

#include <sstream>
#include <string>

#include "common/log.h"

namespace strait::control {

template <typename... Args>
void logLine(const Args&... args) {
  std::ostringstream line;
  (line << ... << args);
  common::writeLogLine(line.str());
}

}  // namespace strait::control
