// The WAF audit log (Bootstrap.waf_audit_log): JSON lines appended to a file by one
// background thread. Workers call write() and never wait on the file: a line is handed over
// under a short lock, and dropped (counted) when the thread is more than kMaxPendingBytes
// behind. The file is rotated to <path>.1 past its size bound.
// THREADS: write() from any thread; configure() once at start-up (before workers run) and
// shutdown() at exit. ERRORS: a file that cannot be opened or written is reported on stderr
// once; lines are then counted as dropped.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"

namespace strait::filters::waf {

class AuditLog {
 public:
  static constexpr size_t kMaxPendingBytes = 4 << 20;

  // Starts the writer thread for `path` (empty: no audit log; write() drops silently).
  static absl::Status configure(const std::string& path, uint64_t max_bytes);
  static void shutdown();
  static bool enabled();
  // One JSON object, without the newline.
  static void write(std::string line);
  static uint64_t written();
  static uint64_t dropped();
};

// `s` as a JSON string literal (quotes included); bytes that are not valid UTF-8 become
// U+FFFD so the line stays valid JSON whatever a client sent.
std::string jsonString(std::string_view s);

}  // namespace strait::filters::waf
