// A tiny leveled logger for the sidecar and the ADS client: one line per call, written to
// stderr with ONE write(2), so lines from many threads never interleave (a pipe keeps each
// write of up to PIPE_BUF = 4096 bytes whole; a regular file keeps each write whole). The
// text is written as given: no timestamp or level is prepended, so messages that tests and
// operators grep for read exactly as they did when they were fprintf(stderr, ...) calls.
//
// THREADS: every function may be called from any thread. The level is a relaxed atomic: a
// change made by the admin thread reaches the other threads soon, not at a defined point,
// which is all a log level needs. A disabled level costs one relaxed load (its arguments are
// still evaluated: keep expensive ones behind logEnabled()).
// DATA PATH: a log call formats into a string and makes one write(2) to stderr, which can
// block while a reader drains a full pipe; so the data path logs only rare events.
#pragma once

#include <atomic>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"

namespace strait::common {

enum class LogLevel : int { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

// "debug", "info", "warning", "error" (exactly; the admin endpoint's parameter values).
absl::StatusOr<LogLevel> parseLogLevel(absl::string_view name);
const char* logLevelName(LogLevel level);

namespace internal {
extern std::atomic<int> min_log_level;  // a LogLevel; kInfo at start
}  // namespace internal

inline bool logEnabled(LogLevel level) {
  return static_cast<int>(level) >= internal::min_log_level.load(std::memory_order_relaxed);
}
void setLogLevel(LogLevel level);
LogLevel logLevel();

// Writes `line` and a '\n' with one write(2) (retried only for EINTR or a short write),
// whatever the level. A line with '\n' inside stays one write too (multi-line messages).
void writeLogLine(std::string line);

// Redirects the log to `fd` (tests: a pipe); -1 restores stderr. Not for concurrent use
// with logging threads: set it before they start.
void setLogFdForTesting(int fd);

template <typename... Args>
void logAt(LogLevel level, const absl::FormatSpec<Args...>& format, const Args&... args) {
  if (logEnabled(level)) writeLogLine(absl::StrFormat(format, args...));
}
template <typename... Args>
void logDebug(const absl::FormatSpec<Args...>& format, const Args&... args) {
  logAt(LogLevel::kDebug, format, args...);
}
template <typename... Args>
void logInfo(const absl::FormatSpec<Args...>& format, const Args&... args) {
  logAt(LogLevel::kInfo, format, args...);
}
template <typename... Args>
void logWarning(const absl::FormatSpec<Args...>& format, const Args&... args) {
  logAt(LogLevel::kWarning, format, args...);
}
template <typename... Args>
void logError(const absl::FormatSpec<Args...>& format, const Args&... args) {
  logAt(LogLevel::kError, format, args...);
}

}  // namespace strait::common
