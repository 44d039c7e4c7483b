// The generation the control plane serves: the config source's, with the load assignments
// of SERVICE clusters filled from the live workloads (service discovery). A workload is a
// connected sidecar whose node names a workload address; its endpoint stays through
// `grace` after its stream ends (a reconnect within it changes nothing) and leaves at once
// when the sidecar reports draining. Every change of what is served publishes a new
// version "<sequence>-<content hash>" (as ConfigSource does); unchanged content publishes
// nothing.
// COST OF AN ENDPOINT CHANGE: a served snapshot shares the source's configuration (copied
// and given its service addresses once per config version) and carries only the SERVICE
// clusters' load assignments of its own, so a workload coming or going costs O(service
// clusters + workloads), not a copy of every route; the whole generation is merged only when
// somebody asks for it (ServedSnapshot::generation()), once per snapshot.
// THREADS: every method from any thread; listeners run on the thread that made the change
// (an ADS stream, the config watcher, or the expiry thread) after the new version is
// current, and must be quick.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/call_once.h"
#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "control/config_source.h"
#include "control/served_state.h"
#include "control/service_vips.h"
#include "strait/v1/discovery.pb.h"

namespace strait::control {

// One version the control plane serves. Immutable once published (generation() builds its
// cache on first use, thread-safe).
class ServedSnapshot {
 public:
  std::string version;         // "<sequence>-<content hash>"
  std::string config_version;  // the ConfigSource version merged in: two snapshots with the
                               // same one differ only in SERVICE clusters' load assignments
  // The source's generation with service VIPs assigned and without the load assignments of
  // SERVICE clusters.
  std::shared_ptr<const strait::v1::Generation> config;
  // The SERVICE clusters' load assignments from the workloads, by cluster name.
  std::map<std::string, strait::v1::ClusterLoadAssignment> service_endpoints;

  // config + service_endpoints: the whole generation (built at the first call, any thread).
  const strait::v1::Generation& generation() const;

 private:
  mutable absl::once_flag merged_once_;
  mutable strait::v1::Generation merged_;
};

class MeshState {
 public:
  // `source` must outlive this object. `vips`: where SERVICE clusters without a
  // service_vip get one (none: they keep none). `state_file` (empty: none): where the served
  // version and the workloads are kept across restarts (served_state.h).
  // `debounce`: a workload becoming an endpoint or draining is published within this time,
  // together with whatever else changed meanwhile (many pods starting or stopping at once
  // make one version, not one each); zero publishes each at once. A configuration change and
  // an expiry publish at once (with anything pending).
  MeshState(ConfigSource* source, absl::Duration grace, std::optional<ServiceVips> vips = std::nullopt,
            std::string state_file = "", absl::Duration debounce = absl::ZeroDuration());
  ~MeshState();  // calls stop()

  // Takes back the state file's workloads (each an endpoint for the grace period unless its
  // sidecar reconnects) and version (served again if the content is the same; otherwise the
  // sequence goes on from it), subscribes to the source and publishes the first merged
  // version (call after the source's initial load); starts the thread that expires the
  // endpoints of gone workloads.
  void start();
  void stop();  // the state file is written before it returns

  std::shared_ptr<const ServedSnapshot> current() const ABSL_LOCKS_EXCLUDED(mu_);
  int addListener(std::function<void()> on_new_version) ABSL_LOCKS_EXCLUDED(mu_);
  void removeListener(int id) ABSL_LOCKS_EXCLUDED(mu_);

  // The sidecar of `node` (registry token `token`) serves (the ADS service calls this at its
  // first ACK); a node without a workload address is not a workload.
  void workloadUp(const strait::v1::Node& node, uint64_t token) ABSL_LOCKS_EXCLUDED(mu_);
  // The sidecar reported draining: its endpoint leaves (within the debounce, with whatever
  // else is pending).
  void workloadDraining(const std::string& node_id, uint64_t token) ABSL_LOCKS_EXCLUDED(mu_);
  // The first version served without the endpoint of draining workload `node_id` (stream
  // `token`): "" until it is published (or if the workload is unknown or not draining, or
  // the token is not its stream's).
  std::string withdrawnIn(const std::string& node_id, uint64_t token) const ABSL_LOCKS_EXCLUDED(mu_);
  // A sidecar reconnected reporting `version` as applied. If it names the content served now
  // under a higher sequence (from before a restart without the state file, or from another
  // replica), the served version takes that label and the sequence continues after it, so
  // replicas and restarts converge on one version per content (the fleet carries it). A
  // relabel publishes (sidecars ACK it without rebuilding). Anything else: nothing happens.
  void adoptVersion(const std::string& version) ABSL_LOCKS_EXCLUDED(mu_);
  // Its stream ended: its endpoint leaves after the grace period (unless it reconnects).
  void workloadDown(const std::string& node_id, uint64_t token) ABSL_LOCKS_EXCLUDED(mu_);

  // Exposed for tests: the merge of `config` with `workloads`' endpoints (and the services'
  // addresses from `vips`, if given).
  struct Workload {
    std::string service;
    std::string address;
    uint64_t token = 0;
    bool draining = false;
    std::string withdrawn_in{};  // draining: the first version published without it
    absl::Time expires = absl::InfiniteFuture();  // stream gone: the end of its grace period
  };
  static strait::v1::Generation merge(const strait::v1::Generation& config,
                                      const std::map<std::string, Workload>& workloads,
                                      const ServiceVips* vips = nullptr);

 private:
  void onSourceChanged() ABSL_LOCKS_EXCLUDED(mu_);
  void prepareConfig() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Makes `snap` current, writes the state file, queues the listeners.
  void install(std::shared_ptr<ServedSnapshot> snap, std::vector<std::function<void()>>* to_call)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Publishes now (no debounce) or has the expiry thread publish within the debounce.
  void schedulePublish(std::vector<std::function<void()>>* to_call) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Recomputes what is served; true (with the listeners to call) if it changed.
  bool republish(std::vector<std::function<void()>>* to_call) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void notify(const std::vector<std::function<void()>>& to_call);
  void expiryLoop() ABSL_LOCKS_EXCLUDED(mu_);

  ConfigSource* const source_;
  const absl::Duration grace_;
  const std::optional<ServiceVips> vips_;
  const std::string state_file_;
  const absl::Duration debounce_;
  std::unique_ptr<ServedStateWriter> state_writer_;  // set by start() when state_file_ is
  int source_listener_ = -1;
  std::thread expiry_;

  mutable absl::Mutex mu_;
  std::shared_ptr<const ConfigSnapshot> config_ ABSL_GUARDED_BY(mu_);   // the source's, as last seen
  // config_ prepared for serving (ServedSnapshot::config), its SERVICE clusters, and its
  // content hash (xds/content_hash.h); rebuilt when config_ changes.
  std::string prepared_version_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const strait::v1::Generation> prepared_ ABSL_GUARDED_BY(mu_);
  std::vector<const strait::v1::Cluster*> service_clusters_ ABSL_GUARDED_BY(mu_);  // into *prepared_
  std::string prepared_digest_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const ServedSnapshot> current_ ABSL_GUARDED_BY(mu_);  // what is served
  std::string current_hash_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Workload> workloads_ ABSL_GUARDED_BY(mu_);  // by node id
  std::map<int, std::function<void()>> listeners_ ABSL_GUARDED_BY(mu_);
  int next_listener_ ABSL_GUARDED_BY(mu_) = 1;
  uint64_t next_version_ ABSL_GUARDED_BY(mu_) = 1;
  std::string restored_version_ ABSL_GUARDED_BY(mu_);
  absl::Time publish_at_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();  // a debounced change is due
  // Counts every new expiry and debounced publication time, for the expiry thread to wake.
  uint64_t timer_changes_ ABSL_GUARDED_BY(mu_) = 0;  // from the state file, until the first publish
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace strait::control
