#include "common/log.h"

#include <unistd.h>

#include <cerrno>

#include "absl/strings/str_cat.h"

namespace strait::common {
namespace internal {
std::atomic<int> min_log_level{static_cast<int>(LogLevel::kInfo)};
}  // namespace internal

namespace {
constexpr const char* kNames[] = {"debug", "info", "warning", "error"};
std::atomic<int> log_fd{STDERR_FILENO};
}  // namespace

absl::StatusOr<LogLevel> parseLogLevel(absl::string_view name) {
  for (int i = 0; i < 4; i++) {
    if (name == kNames[i]) return static_cast<LogLevel>(i);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown log level '", name, "' (one of debug, info, warning, error)"));
}

const char* logLevelName(LogLevel level) { return kNames[static_cast<int>(level)]; }

void setLogLevel(LogLevel level) {
  internal::min_log_level.store(static_cast<int>(level), std::memory_order_relaxed);
}

LogLevel logLevel() { return static_cast<LogLevel>(internal::min_log_level.load(std::memory_order_relaxed)); }

void writeLogLine(std::string line) {
  line += '\n';
  int fd = log_fd.load(std::memory_order_relaxed);
  const char* p = line.data();
  size_t left = line.size();
  // One write(2) in practice; the loop only finishes a write that a signal or a full
  // non-pipe device cut short. Nothing else to do on failure: there is no log to report to.
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    p += n;
    left -= static_cast<size_t>(n);
  }
}

void setLogFdForTesting(int fd) { log_fd.store(fd < 0 ? STDERR_FILENO : fd, std::memory_order_relaxed); }

}  // namespace strait::common
