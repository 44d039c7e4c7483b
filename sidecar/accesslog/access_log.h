// A listener's access log (Listener.access_logs), compiled for one generation: which
// requests it takes (AccessLogFilter), how a line looks (JSON or a text template), and the
// LogFile it goes to. The worker formats the line (a few hundred bytes, one allocation) and
// hands it to the file's thread; nothing waits on disk.
// THREADS: create() on the config thread; the object is immutable and shared by the workers
// through the snapshot. ERRORS: create() refuses a template with an unknown %KEY% and a file
// that cannot be opened.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "sidecar/accesslog/access_log_config.h"
#include "sidecar/accesslog/log_file.h"
#include "sidecar/http/stream_info.h"
#include "strait/v1/listener.pb.h"

namespace strait::accesslog {

// What a line says besides StreamInfo: the clocks to turn the stream's monotonic times into
// a wall-clock start time.
struct LineClock {
  int64_t now_ms = 0;       // the worker's monotonic clock (StreamInfo's time base)
  int64_t wall_now_us = 0;  // the same instant, microseconds since the Unix epoch
};

class AccessLog {
 public:
  static absl::StatusOr<std::shared_ptr<const AccessLog>> create(const strait::v1::AccessLog& config);

  // Whether `info` is logged; `random` is a uniform 64-bit draw (sampling).
  bool wants(const http::StreamInfo& info, uint64_t random) const;
  // The line (without its newline).
  std::string format(const http::StreamInfo& info, const LineClock& clock) const;
  // The same, appended to `out` (a buffer reused line after line allocates nothing).
  void formatInto(const http::StreamInfo& info, const LineClock& clock, std::string* out) const;
  // wants() then format() and write.
  void log(const http::StreamInfo& info, const LineClock& clock, uint64_t random) const;

  // Lines of every access log, written and dropped (the files' counters, summed; a file two
  // listeners share counts once).
  static uint64_t writtenTotal();
  static uint64_t droppedTotal();

  enum class Field : uint8_t;

 private:
  AccessLog() = default;
  void appendText(const http::StreamInfo& info, const LineClock& clock, std::string* out) const;

  bool json_ = true;
  std::vector<Segment> segments_;  // TEXT
  uint32_t status_classes_ = 0;    // bit per class 0..5; 0: any
  bool only_errors_ = false;
  uint64_t sample_threshold_ = UINT64_MAX;  // logged when random <= this
  std::shared_ptr<LogFile> file_;
};

}  // namespace strait::accesslog
