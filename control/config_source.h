// The control plane's desired configuration: a config directory, loaded with loadConfigDir
// and watched with inotify. Every accepted load that changes the content gets the next
// version number ("1", "2", ...); a refused load keeps the previous version serving.
//
// Threads: loadInitial() before startWatching(), from one thread. After that current(),
// lastError() and addListener() may be called from any thread. Listeners run on the watch
// thread after a new version is published; they must be quick (wake someone up).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "control/control_metrics.h"
#include "strait/v1/generation.pb.h"

namespace strait::control {

// One immutable published version.
struct ConfigSnapshot {
  std::string version;             // "1", "2", ...
  strait::v1::Generation generation;  // the whole validated configuration
};

class ConfigSource {
 public:
  // `metrics` (may be null; must outlive this object) counts accepted and refused loads.
  explicit ConfigSource(std::string dir, ControlMetrics* metrics = nullptr);
  ~ConfigSource();  // calls stop()

  // First load; on error nothing is served and the caller should exit.
  absl::Status loadInitial() ABSL_LOCKS_EXCLUDED(mu_);
  // Starts the inotify watch thread; reloads ~100 ms after the last change in the directory.
  absl::Status startWatching();
  void stop();

  // Loads the directory now (the watch thread calls this); public for tests.
  void reload() ABSL_LOCKS_EXCLUDED(mu_);

  std::shared_ptr<const ConfigSnapshot> current() const ABSL_LOCKS_EXCLUDED(mu_);
  std::string lastError() const ABSL_LOCKS_EXCLUDED(mu_);
  // Returns an id for removeListener.
  int addListener(std::function<void()> on_new_version) ABSL_LOCKS_EXCLUDED(mu_);
  void removeListener(int id) ABSL_LOCKS_EXCLUDED(mu_);
  // 16 hex digits of the SHA-256 of the generation's deterministic serialization (the
  // version's suffix): the same content, the same hash, in every process.
  static std::string contentHash(const strait::v1::Generation& gen);

 private:
  void watchLoop(int inotify_fd);
  void publish(strait::v1::Generation gen) ABSL_LOCKS_EXCLUDED(mu_);

  const std::string dir_;
  ControlMetrics* const metrics_;
  std::thread watcher_;
  int stop_pipe_[2] = {-1, -1};  // written by stop() to wake the watch thread

  mutable absl::Mutex mu_;
  std::shared_ptr<const ConfigSnapshot> current_ ABSL_GUARDED_BY(mu_);
  uint64_t next_version_ ABSL_GUARDED_BY(mu_) = 1;
  std::string last_error_ ABSL_GUARDED_BY(mu_);
  int next_listener_id_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::pair<int, std::function<void()>>> listeners_ ABSL_GUARDED_BY(mu_);
};

}  // namespace strait::control
