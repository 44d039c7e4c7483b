#include "sidecar/filters/waf/audit_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"

namespace strait::filters::waf {
namespace {

class Writer {
 public:
  Writer(std::string path, uint64_t max_bytes) : path_(std::move(path)), max_bytes_(max_bytes) {}
  ~Writer() { stop(); }

  absl::Status start() {
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd_ < 0) return absl::InvalidArgumentError(absl::StrCat("waf audit log ", path_, ": ", strerror(errno)));
    size_ = static_cast<uint64_t>(::lseek(fd_, 0, SEEK_END));
    thread_ = std::thread([this] { run(); });
    return absl::OkStatus();
  }

  void stop() {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      stopping_ = true;
    }
    if (thread_.joinable()) thread_.join();
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  void write(std::string&& line) {
    absl::MutexLock lock(&mu_);
    if (stopping_ || pending_.size() + line.size() + 1 > AuditLog::kMaxPendingBytes) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    pending_.append(line);
    pending_.push_back('\n');
    lines_pending_++;
  }

  std::atomic<uint64_t> written_{0};
  std::atomic<uint64_t> dropped_{0};

 private:
  void run() {
    std::string batch;
    for (;;) {
      uint64_t lines = 0;
      {
        absl::MutexLock lock(&mu_);
        mu_.Await(absl::Condition(
            +[](Writer* w) ABSL_EXCLUSIVE_LOCKS_REQUIRED(w->mu_) { return w->stopping_ || !w->pending_.empty(); }, this));
        if (pending_.empty() && stopping_) return;
        batch.swap(pending_);
        lines = lines_pending_;
        lines_pending_ = 0;
      }
      writeAll(batch, lines);
      batch.clear();
    }
  }

  void writeAll(const std::string& data, uint64_t lines) {
    if (size_ + data.size() > max_bytes_ && size_ > 0) rotate();
    size_t off = 0;
    while (off < data.size() && fd_ >= 0) {
      ssize_t n = ::write(fd_, data.data() + off, data.size() - off);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        if (!reported_) fprintf(stderr, "strait-sidecar: waf audit log %s: %s\n", path_.c_str(), strerror(errno));
        reported_ = true;
        dropped_.fetch_add(lines, std::memory_order_relaxed);
        return;
      }
      off += static_cast<size_t>(n);
    }
    size_ += data.size();
    written_.fetch_add(lines, std::memory_order_relaxed);
  }

  void rotate() {
    std::string old = path_ + ".1";
    if (::rename(path_.c_str(), old.c_str()) != 0) return;  // keep appending to the current file
    int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) return;
    ::close(fd_);
    fd_ = fd;
    size_ = 0;
  }

  const std::string path_;
  const uint64_t max_bytes_;
  int fd_ = -1;          // writer thread only (after start)
  uint64_t size_ = 0;    // writer thread only
  bool reported_ = false;
  std::thread thread_;
  absl::Mutex mu_;
  std::string pending_ ABSL_GUARDED_BY(mu_);
  uint64_t lines_pending_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
};

// Set once by configure() before the workers start; never freed before exit (workers may
// still write while the process ends).
std::atomic<Writer*> g_writer{nullptr};

}  // namespace

absl::Status AuditLog::configure(const std::string& path, uint64_t max_bytes) {
  if (path.empty()) return absl::OkStatus();
  if (max_bytes == 0) max_bytes = 64ull << 20;
  if (max_bytes < (64u << 10)) return absl::InvalidArgumentError("waf_audit_log.max_bytes: at least 65536");
  auto* w = new Writer(path, max_bytes);
  absl::Status s = w->start();
  if (!s.ok()) {
    delete w;
    return s;
  }
  g_writer.store(w, std::memory_order_release);
  return absl::OkStatus();
}

void AuditLog::shutdown() {
  if (Writer* w = g_writer.load(std::memory_order_acquire)) w->stop();
}

bool AuditLog::enabled() { return g_writer.load(std::memory_order_acquire) != nullptr; }

void AuditLog::write(std::string line) {
  if (Writer* w = g_writer.load(std::memory_order_acquire)) w->write(std::move(line));
}

uint64_t AuditLog::written() {
  Writer* w = g_writer.load(std::memory_order_acquire);
  return w ? w->written_.load(std::memory_order_relaxed) : 0;
}

uint64_t AuditLog::dropped() {
  Writer* w = g_writer.load(std::memory_order_acquire);
  return w ? w->dropped_.load(std::memory_order_relaxed) : 0;
}

std::string jsonString(std::string_view s) {
  std::string out = "\"";
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
          if (c < 0x20 || c == 0x7f) absl::StrAppendFormat(&out, "\\u%04x", c);
          else out.push_back(static_cast<char>(c));
      }
      i++;
      continue;
    }
    // A valid UTF-8 sequence is copied; anything else becomes U+FFFD.
    size_t len = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
    bool ok = len > 0 && i + len <= s.size();
    for (size_t k = 1; ok && k < len; k++) ok = (static_cast<unsigned char>(s[i + k]) & 0xc0) == 0x80;
    if (ok && len == 3) {
      unsigned char c1 = static_cast<unsigned char>(s[i + 1]);
      ok = !(c == 0xe0 && c1 < 0xa0) && !(c == 0xed && c1 >= 0xa0);  // overlong, surrogates
    }
    if (ok && len == 4) {
      unsigned char c1 = static_cast<unsigned char>(s[i + 1]);
      ok = !(c == 0xf0 && c1 < 0x90) && !(c == 0xf4 && c1 >= 0x90);
    }
    if (ok) {
      out.append(s.data() + i, len);
      i += len;
    } else {
      out += "\xef\xbf\xbd";
      i++;
    }
  }
  out += "\"";
  return out;
}

}  // namespace strait::filters::waf
