// The WAF audit log (Bootstrap.waf_audit_log): JSON lines appended to a LogFile (one
// background thread; workers never wait on the file, lines are dropped and counted when it
// is more than LogFile::kMaxPendingBytes behind). The file is rotated to <path>.1 past its
// size bound and reopened on SIGUSR1.
// THREADS: write() from any thread; configure() once at start-up (before workers run) and
// shutdown() at exit. ERRORS: a file that cannot be opened or written is reported on stderr
// once; lines are then counted as dropped.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "sidecar/accesslog/json_string.h"

namespace strait::filters::waf {

class AuditLog {
 public:
  // Starts the writer thread for `path` (empty: no audit log; write() drops silently).
  static absl::Status configure(const std::string& path, uint64_t max_bytes);
  static void shutdown();
  static bool enabled();
  // One JSON object, without the newline.
  static void write(std::string line);
  static uint64_t written();
  static uint64_t dropped();
};

// JSON string literals for its lines (see sidecar/accesslog/json_string.h).
using accesslog::jsonString;

}  // namespace strait::filters::waf
