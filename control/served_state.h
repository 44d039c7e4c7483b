// What the control plane serves, kept on disk so that a restart changes nothing for the
// mesh: the served version and the workloads that were endpoints. A restarted control plane
// (MeshState) takes the workloads back as if their streams had just ended (each stays an
// endpoint for the endpoint grace period unless its sidecar reconnects, which every sidecar
// does within its backoff), so the first version it serves has the same content as the
// last one before the restart, and therefore the same version string: sidecars ACK it
// without rebuilding, and nobody loses an endpoint meanwhile.
//
// Format (text, one record per line, fields separated by tabs, nothing else):
//   version<TAB><version>
//   workload<TAB><node id><TAB><service><TAB><address>
// A file that does not parse is ignored as a whole (with a log line): the control plane
// then starts as it would without one.
//
// ServedStateWriter writes on a thread of its own, the newest state only (a burst of
// changes is one write), by write-aside-and-rename, so a crash leaves the old file or the
// new one. THREADS: save() from any thread; flush() and the destructor write what is pending.
#pragma once

#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace strait::control {

struct ServedState {
  struct Workload {
    std::string node_id;
    std::string service;
    std::string address;
  };
  std::string version;
  std::vector<Workload> workloads;

  std::string serialize() const;
  // InvalidArgument naming the line for anything but the format above.
  static absl::StatusOr<ServedState> parse(const std::string& text);
};

// NotFound if there is no file.
absl::StatusOr<ServedState> loadServedState(const std::string& path);

class ServedStateWriter {
 public:
  explicit ServedStateWriter(std::string path);
  ~ServedStateWriter();  // writes what is pending, then stops

  void save(ServedState state) ABSL_LOCKS_EXCLUDED(mu_);
  // Returns once the newest saved state is on disk.
  void flush() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void loop() ABSL_LOCKS_EXCLUDED(mu_);

  const std::string path_;
  absl::Mutex mu_;
  std::string pending_ ABSL_GUARDED_BY(mu_);
  bool dirty_ ABSL_GUARDED_BY(mu_) = false;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace strait::control
