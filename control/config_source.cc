// Config directory loading and inotify watching (see config_source.h).
#include "control/config_source.h"

#include "xds/content_hash.h"


#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cstdio>
#include <functional>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "control/log_line.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/util/message_differencer.h"
#include "xds/config_dir.h"

namespace strait::control {
namespace {

constexpr int kDebounceMs = 100;
constexpr uint32_t kWatchMask =
    IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CREATE;

void drain(int fd) {
  char buf[4096];
  while (read(fd, buf, sizeof(buf)) > 0) {
  }
}

}  // namespace

ConfigSource::ConfigSource(std::string dir, ControlMetrics* metrics) : dir_(std::move(dir)), metrics_(metrics) {}

ConfigSource::~ConfigSource() { stop(); }

absl::Status ConfigSource::loadInitial() {
  auto gen = xds::loadConfigDir(dir_);
  if (metrics_ != nullptr) metrics_->configLoaded(gen.ok());
  if (!gen.ok()) return gen.status();
  publish(*std::move(gen));
  return absl::OkStatus();
}

absl::Status ConfigSource::startWatching() {
  int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) return absl::InternalError("inotify_init1 failed");
  if (inotify_add_watch(fd, dir_.c_str(), kWatchMask) < 0) {
    close(fd);
    return absl::InvalidArgumentError(absl::StrCat("cannot watch ", dir_));
  }
  if (pipe2(stop_pipe_, O_CLOEXEC | O_NONBLOCK) != 0) {
    close(fd);
    return absl::InternalError("pipe2 failed");
  }
  watcher_ = std::thread([this, fd] { watchLoop(fd); });
  return absl::OkStatus();
}

void ConfigSource::stop() {
  if (!watcher_.joinable()) return;
  char c = 'x';
  (void)!write(stop_pipe_[1], &c, 1);
  watcher_.join();
  close(stop_pipe_[0]);
  close(stop_pipe_[1]);
}

// Waits for a change, then for quiet (no event for kDebounceMs), then reloads.
void ConfigSource::watchLoop(int inotify_fd) {
  pollfd fds[2] = {{inotify_fd, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
  int timeout = -1;  // -1: idle; kDebounceMs: a change is pending
  while (true) {
    int n = poll(fds, 2, timeout);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 || (fds[1].revents & POLLIN)) break;
    if (n == 0) {  // quiet after a change
      timeout = -1;
      reload();
      continue;
    }
    drain(inotify_fd);
    timeout = kDebounceMs;
  }
  close(inotify_fd);
}

void ConfigSource::reload() {
  absl::Time start = absl::Now();
  xds::LoadTimings load;
  auto gen = xds::loadConfigDir(dir_, &load);
  if (metrics_ != nullptr) metrics_->configLoaded(gen.ok());
  if (!gen.ok()) {
    logLine("strait-control: config refused: ", gen.status().message());
    absl::MutexLock lock(&mu_);
    last_error_ = std::string(gen.status().message());
    return;
  }
  absl::Time loaded = absl::Now();
  {
    absl::MutexLock lock(&mu_);
    last_error_.clear();
    if (current_ != nullptr &&
        google::protobuf::util::MessageDifferencer::Equals(current_->generation, *gen)) {
      return;  // same content: no new version
    }
  }
  absl::Time compared = absl::Now();
  publish(*std::move(gen));
  // Where a reload's time went (bench/fleet/apply.sh reads these): parse and validate make up
  // load; compare is the check for unchanged content; hash+publish the version's content hash
  // (a serialization) and the listeners' wake-ups.
  auto ms = [](absl::Duration d) { return absl::StrFormat("%.1fms", absl::ToDoubleMilliseconds(d)); };
  logLine("strait-control: config accepted, serving version ", current()->version, " (load=", ms(loaded - start),
          " parse=", ms(load.parse), " validate=", ms(load.validate), " compare=", ms(compared - loaded),
          " hash=", ms(absl::Now() - compared), ")");
}

std::string ConfigSource::contentHash(const strait::v1::Generation& gen) { return xds::contentHash(gen); }

void ConfigSource::publish(strait::v1::Generation gen) {
  std::vector<std::function<void()>> to_call;
  {
    absl::MutexLock lock(&mu_);
    auto snap = std::make_shared<ConfigSnapshot>();
    // "<sequence>-<content hash>": the sequence orders versions for people, the hash keeps a
    // restarted control plane (whose sequence starts again at 1) from reusing a version
    // string a sidecar already applied with different content.
    snap->version = absl::StrCat(next_version_++, "-", contentHash(gen));
    snap->generation = std::move(gen);
    current_ = std::move(snap);
    for (const auto& l : listeners_) to_call.push_back(l.second);
  }
  for (const auto& f : to_call) f();
}

std::shared_ptr<const ConfigSnapshot> ConfigSource::current() const {
  absl::MutexLock lock(&mu_);
  return current_;
}

std::string ConfigSource::lastError() const {
  absl::MutexLock lock(&mu_);
  return last_error_;
}

int ConfigSource::addListener(std::function<void()> on_new_version) {
  absl::MutexLock lock(&mu_);
  int id = next_listener_id_++;
  listeners_.emplace_back(id, std::move(on_new_version));
  return id;
}

void ConfigSource::removeListener(int id) {
  absl::MutexLock lock(&mu_);
  for (auto it = listeners_.begin(); it != listeners_.end(); ++it) {
    if (it->first == id) {
      listeners_.erase(it);
      return;
    }
  }
}

}  // namespace strait::control
