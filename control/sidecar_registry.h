// What the control plane knows of each sidecar (by node id), for `straitctl status`.
//
// Thread-safe: every method may be called from any thread.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "strait/v1/admin.pb.h"
#include "strait/v1/discovery.pb.h"

namespace strait::control {

// Whether version `a` is newer than `b`: by the leading decimal sequence, numerically.
bool versionNewer(const std::string& a, const std::string& b);

class SidecarRegistry {
 public:
  // A stream of `node` opened; returns a token for the calls below, so that a stale stream
  // of the same node (reconnect race) cannot overwrite the newer one's state.
  // `identity`: the verified SPIFFE ID of the stream ("" on a plaintext control plane).
  uint64_t connected(const strait::v1::Node& node, const std::string& peer, const std::string& identity)
      ABSL_LOCKS_EXCLUDED(mu_);
  // A stream claiming `node` was refused for `reason` (kept on the node's entry, without
  // touching a stream of the real node that may be connected).
  void refused(const strait::v1::Node& node, const std::string& peer, const std::string& identity,
               const std::string& reason) ABSL_LOCKS_EXCLUDED(mu_);
  void sent(const std::string& node_id, uint64_t token, const std::string& version) ABSL_LOCKS_EXCLUDED(mu_);
  void acked(const std::string& node_id, uint64_t token, const std::string& version) ABSL_LOCKS_EXCLUDED(mu_);
  void nacked(const std::string& node_id, uint64_t token, const std::string& version,
              const std::string& message) ABSL_LOCKS_EXCLUDED(mu_);
  void disconnected(const std::string& node_id, uint64_t token) ABSL_LOCKS_EXCLUDED(mu_);

  // Whether every connected sidecar but `except_node` has ACKed or NACKed `version` or a
  // newer one (so none still runs an older version).
  bool othersApplied(const std::string& except_node, const std::string& version) const ABSL_LOCKS_EXCLUDED(mu_);

  // Sorted by node id.
  std::vector<strait::v1::SidecarStatus> list() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Entry {
    strait::v1::SidecarStatus status;  // what is reported
    uint64_t token = 0;                // the stream currently owning the entry
  };
  // The entry if `token` still owns it, else nullptr.
  Entry* find(const std::string& node_id, uint64_t token) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  std::map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
  uint64_t next_token_ ABSL_GUARDED_BY(mu_) = 1;
};

}  // namespace strait::control
