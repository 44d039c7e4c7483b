#include "sidecar/accesslog/log_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/log.h"

namespace strait::accesslog {

class LogFile::Impl {
 public:
  static constexpr size_t kFlushBytes = 64 << 10;
  static constexpr absl::Duration kFlushInterval = absl::Milliseconds(20);

  Impl(std::string label, std::string path, uint64_t max_bytes)
      : label_(std::move(label)), path_(std::move(path)), max_bytes_(max_bytes) {}

  absl::Status start(LogFile* owner) {
    owner_ = owner;
    if (path_ == "-") {
      fd_ = STDOUT_FILENO;
    } else {
      // O_NONBLOCK: a FIFO without a reader is an error (ENXIO), not a config thread stuck in
      // open(); writes are the writer thread's own and block (it is there to wait).
      fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NONBLOCK, 0600);
      if (fd_ < 0) return absl::InvalidArgumentError(absl::StrCat(label_, " ", path_, ": ", strerror(errno)));
      ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) & ~O_NONBLOCK);
      size_ = static_cast<uint64_t>(::lseek(fd_, 0, SEEK_END));
    }
    thread_ = std::thread([this] { run(); });
    return absl::OkStatus();
  }

  void stop() {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      stopping_ = true;
      wake_.Signal();
    }
    if (thread_.joinable()) thread_.join();
    if (fd_ > STDERR_FILENO) ::close(fd_);
    fd_ = -1;
  }

  void write(std::string_view line) {
    absl::MutexLock lock(&mu_);
    if (stopping_ || pending_.size() + line.size() + 1 > kMaxPendingBytes) {
      owner_->dropped_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    pending_.append(line.data(), line.size());
    pending_.push_back('\n');
    lines_pending_++;
    if (pending_.size() >= kFlushBytes && !woken_) {  // once per batch, not per line
      woken_ = true;
      wake_.Signal();
    }
  }

  void reopen() {
    absl::MutexLock lock(&mu_);
    reopen_ = true;
    wake_.Signal();
  }

  const std::string& path() const { return path_; }
  const std::string& label() const { return label_; }

 private:
  void run() {
    std::string batch;
    for (;;) {
      uint64_t lines = 0;
      bool reopen = false;
      {
        absl::MutexLock lock(&mu_);
        // Woken when kFlushBytes wait (or to stop or reopen), else every kFlushInterval: a
        // worker's write never wakes this thread line by line (a futex wake per request
        // cost more than the formatting). A condition variable rather than a Mutex
        // condition: with a Mutex::Await waiter every worker's unlock would evaluate it.
        if (!stopping_ && !reopen_ && pending_.size() < kFlushBytes) wake_.WaitWithTimeout(&mu_, kFlushInterval);
        woken_ = false;
        if (pending_.empty() && !stopping_ && !reopen_) continue;
        if (pending_.empty() && stopping_) return;
        batch.swap(pending_);
        lines = lines_pending_;
        lines_pending_ = 0;
        reopen = reopen_;
        reopen_ = false;
      }
      if (reopen) openNew(/*rename_old=*/false);
      if (!batch.empty()) writeAll(batch, lines);
      batch.clear();
    }
  }

  void writeAll(const std::string& data, uint64_t lines) {
    if (max_bytes_ > 0 && size_ + data.size() > max_bytes_ && size_ > 0) openNew(/*rename_old=*/true);
    size_t off = 0;
    while (off < data.size() && fd_ >= 0) {
      ssize_t n = ::write(fd_, data.data() + off, data.size() - off);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        if (!reported_) common::logError("strait-sidecar: %s %s: %s", label_, path_, strerror(errno));
        reported_ = true;
        owner_->dropped_.fetch_add(lines, std::memory_order_relaxed);
        return;
      }
      off += static_cast<size_t>(n);
    }
    size_ += data.size();
    owner_->written_.fetch_add(lines, std::memory_order_relaxed);
  }

  // Rotation (the old file becomes <path>.1) or reopening (someone else moved it away).
  void openNew(bool rename_old) {
    if (path_ == "-") return;
    if (rename_old && ::rename(path_.c_str(), (path_ + ".1").c_str()) != 0) return;  // keep appending
    int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) {
      common::logError("strait-sidecar: %s %s: %s", label_, path_, strerror(errno));
      return;
    }
    ::close(fd_);
    fd_ = fd;
    size_ = static_cast<uint64_t>(::lseek(fd_, 0, SEEK_END));
    reported_ = false;
  }

  const std::string label_;
  const std::string path_;
  const uint64_t max_bytes_;
  LogFile* owner_ = nullptr;
  int fd_ = -1;        // writer thread only (after start)
  uint64_t size_ = 0;  // writer thread only
  bool reported_ = false;
  std::thread thread_;
  absl::Mutex mu_;
  std::string pending_ ABSL_GUARDED_BY(mu_);
  uint64_t lines_pending_ ABSL_GUARDED_BY(mu_) = 0;
  bool reopen_ ABSL_GUARDED_BY(mu_) = false;
  bool woken_ ABSL_GUARDED_BY(mu_) = false;  // wake_ signalled for the batch being filled
  absl::CondVar wake_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
};

namespace {

struct Registry {
  absl::Mutex mu;
  std::map<std::string, std::shared_ptr<LogFile>> files ABSL_GUARDED_BY(mu);
};

// Never destroyed: workers may write until the process ends.
Registry& registry() {
  static Registry* r = new Registry();
  return *r;
}

}  // namespace

LogFile::LogFile(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

LogFile::~LogFile() { impl_->stop(); }

absl::StatusOr<std::shared_ptr<LogFile>> LogFile::open(const std::string& label, const std::string& path,
                                                       uint64_t max_bytes) {
  Registry& r = registry();
  absl::MutexLock lock(&r.mu);
  if (auto it = r.files.find(path); it != r.files.end()) return it->second;
  std::shared_ptr<LogFile> file(new LogFile(std::make_unique<Impl>(label, path, max_bytes)));
  if (absl::Status s = file->impl_->start(file.get()); !s.ok()) return s;
  r.files.emplace(path, file);
  return file;
}

void LogFile::reopenAll() {
  Registry& r = registry();
  absl::MutexLock lock(&r.mu);
  for (auto& [path, file] : r.files) file->reopen();
}

void LogFile::shutdownAll() {
  Registry& r = registry();
  absl::MutexLock lock(&r.mu);
  for (auto& [path, file] : r.files) file->impl_->stop();
}

uint64_t LogFile::total(const std::string& label, uint64_t (LogFile::*counter)() const) {
  Registry& r = registry();
  absl::MutexLock lock(&r.mu);
  uint64_t n = 0;
  for (const auto& [path, file] : r.files) {
    if (file->label() == label) n += ((*file).*counter)();
  }
  return n;
}

void LogFile::write(std::string_view line) { impl_->write(line); }
void LogFile::reopen() { impl_->reopen(); }
const std::string& LogFile::path() const { return impl_->path(); }
const std::string& LogFile::label() const { return impl_->label(); }

}  // namespace strait::accesslog
