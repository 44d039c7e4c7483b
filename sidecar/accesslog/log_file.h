// A log file appended by one background thread: access logs (Listener.access_log) and the
// WAF audit log write lines here. Workers call write() and never wait on the file: a line is
// handed over under a short lock and dropped (counted) when the thread is more than
// kMaxPendingBytes behind (a full disk, a pipe nobody reads). The thread writes when 64 KiB
// wait or every 20 ms, so a line reaches the file within about 20 ms. Past `max_bytes` the file is
// renamed to <path>.1 and a new one started; reopen() (SIGUSR1, after an external logrotate)
// starts a new file at `path`. The path "-" is the process's standard output (never rotated).
//
// One LogFile per path for the whole process: open() returns the same object for the same
// path, so generations that keep a listener's log keep its file, its thread and its counters.
// Files are never closed before shutdownAll() (at exit): a worker may hold a line for one
// until it ends, and closing one would mean joining its thread on whichever thread let it go.
// THREADS: every method from any thread. ERRORS: open() reports a file that cannot be opened;
// a later write error is printed on stderr once and its lines are counted as dropped.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace strait::accesslog {

class LogFile {
 public:
  static constexpr size_t kMaxPendingBytes = 4 << 20;

  // The file at `path` (created 0600 if absent), shared by every caller naming that path.
  // `label` names it in errors ("access log", "waf audit log"); `max_bytes` 0: never rotated
  // (the first caller's bound applies).
  static absl::StatusOr<std::shared_ptr<LogFile>> open(const std::string& label, const std::string& path,
                                                       uint64_t max_bytes);
  // Every open file starts a new file at its path (SIGUSR1).
  static void reopenAll();
  // Writes what is pending and stops every file's thread (at exit, after the workers).
  static void shutdownAll();
  // `counter` (written or dropped) summed over the files opened with `label`.
  static uint64_t total(const std::string& label, uint64_t (LogFile::*counter)() const);

  // One line, without its newline (copied).
  void write(std::string_view line);
  void reopen();
  uint64_t written() const { return written_.load(std::memory_order_relaxed); }
  uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }
  const std::string& path() const;
  const std::string& label() const;

  ~LogFile();
  class Impl;

 private:
  explicit LogFile(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  std::atomic<uint64_t> written_{0};
  std::atomic<uint64_t> dropped_{0};
};

}  // namespace strait::accesslog
