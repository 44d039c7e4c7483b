// The control plane's desired configuration: a config directory, loaded with LoadConfigDir
// and watched with inotify. Every accepted load that changes the content gets the next
// version number ("1", "2", ...); a refused load keeps the previous version serving.
//
// Threads: LoadInitial() before StartWatching(), from one thread. After that Current(),
// last_error() and AddListener() may be called from any thread. Listeners run on the watch
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
#include "strait/v1/generation.pb.h"

namespace strait::control {

// One immutable published version.
struct ConfigSnapshot {
  std::string version;             // "1", "2", ...
  strait::v1::Generation generation;  // the whole validated configuration
};

class ConfigSource {
 public:
  explicit ConfigSource(std::string dir);
  ~ConfigSource();  // calls Stop()

  // First load; on error nothing is served and the caller should exit.
  absl::Status LoadInitial();
  // Starts the inotify watch thread; reloads ~100 ms after the last change in the directory.
  absl::Status StartWatching();
  void Stop();

  // Loads the directory now (the watch thread calls this); public for tests.
  void Reload();

  std::shared_ptr<const ConfigSnapshot> Current() const;
  std::string last_error() const;
  // Returns an id for RemoveListener.
  int AddListener(std::function<void()> on_new_version);
  void RemoveListener(int id);

 private:
  void WatchLoop(int inotify_fd);
  void Publish(strait::v1::Generation gen);

  const std::string dir_;
  std::thread watcher_;
  int stop_pipe_[2] = {-1, -1};  // written by Stop() to wake the watch thread

  mutable absl::Mutex mu_;
  std::shared_ptr<const ConfigSnapshot> current_ ABSL_GUARDED_BY(mu_);
  uint64_t next_version_ ABSL_GUARDED_BY(mu_) = 1;
  static std::string ContentHash(const strait::v1::Generation& gen);
  std::string last_error_ ABSL_GUARDED_BY(mu_);
  int next_listener_id_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::pair<int, std::function<void()>>> listeners_ ABSL_GUARDED_BY(mu_);
};

}  // namespace strait::control
