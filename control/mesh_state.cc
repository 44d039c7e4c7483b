// Service discovery's merge and the served versions (see mesh_state.h).
#include "control/mesh_state.h"

#include <algorithm>
#include <iostream>
#include <set>


#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "control/log_line.h"
#include "control/sidecar_registry.h"
#include "xds/content_hash.h"

namespace strait::control {

MeshState::MeshState(ConfigSource* source, absl::Duration grace, std::optional<ServiceVips> vips,
                     std::string state_file, absl::Duration debounce)
    : source_(source), grace_(grace), vips_(std::move(vips)), state_file_(std::move(state_file)),
      debounce_(debounce) {}

MeshState::~MeshState() { stop(); }

void MeshState::start() {
  if (!state_file_.empty()) {
    auto state = loadServedState(state_file_);
    if (state.ok()) {
      absl::MutexLock lock(&mu_);
      restored_version_ = state->version;
      absl::Time expires = absl::Now() + grace_;
      for (const auto& w : state->workloads) {
        Workload& mine = workloads_[w.node_id];
        mine.service = w.service;
        mine.address = w.address;
        mine.expires = expires;  // as if its stream had just ended
      }
      logLine("strait-control: served state from ", state_file_, ": version ", state->version, ", ",
              state->workloads.size(), " workloads (endpoints until they reconnect or ",
              absl::FormatDuration(grace_), " pass)");
    } else if (!absl::IsNotFound(state.status())) {
      logLine("strait-control: ignoring the served state: ", state.status().message());
    }
    state_writer_ = std::make_unique<ServedStateWriter>(state_file_);
  }
  source_listener_ = source_->addListener([this] { onSourceChanged(); });
  onSourceChanged();
  expiry_ = std::thread([this] { expiryLoop(); });
}

void MeshState::stop() {
  if (source_listener_ >= 0) {
    source_->removeListener(source_listener_);
    source_listener_ = -1;
  }
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (expiry_.joinable()) expiry_.join();
  if (state_writer_ != nullptr) state_writer_->flush();
}

std::shared_ptr<const ServedSnapshot> MeshState::current() const {
  absl::MutexLock lock(&mu_);
  return current_;
}

int MeshState::addListener(std::function<void()> on_new_version) {
  absl::MutexLock lock(&mu_);
  int id = next_listener_++;
  listeners_[id] = std::move(on_new_version);
  return id;
}

void MeshState::removeListener(int id) {
  absl::MutexLock lock(&mu_);
  listeners_.erase(id);
}

namespace {

using strait::v1::Cluster;
using strait::v1::ClusterLoadAssignment;
using strait::v1::Generation;

// The source's generation as served: service VIPs assigned, the load assignments of SERVICE
// clusters removed (the registry's replace whatever the configuration gave them).
Generation prepare(const Generation& config, const ServiceVips* vips) {
  Generation gen = config;
  if (vips != nullptr) vips->assign(&gen);
  std::set<std::string> service_clusters;
  for (const auto& c : gen.clusters()) {
    if (c.type() == Cluster::SERVICE) service_clusters.insert(c.name());
  }
  auto* assignments = gen.mutable_load_assignments();
  assignments->erase(std::remove_if(assignments->begin(), assignments->end(),
                                    [&](const ClusterLoadAssignment& la) {
                                      return service_clusters.count(la.cluster_name()) > 0;
                                    }),
                     assignments->end());
  return gen;
}

std::vector<const Cluster*> serviceClusters(const Generation& gen) {
  std::vector<const Cluster*> out;
  for (const auto& c : gen.clusters()) {
    if (c.type() == Cluster::SERVICE) out.push_back(&c);
  }
  return out;
}

// Every SERVICE cluster's endpoints: the addresses of its service's serving workloads,
// sorted (the same set, the same content); none: an empty assignment (requests get 503
// no_healthy_upstream), not a stale one.
std::map<std::string, ClusterLoadAssignment> serviceEndpoints(
    const std::vector<const Cluster*>& clusters, const std::map<std::string, MeshState::Workload>& workloads) {
  std::map<std::string, std::vector<std::string>> by_service;
  for (const auto& [node_id, w] : workloads) {
    if (!w.draining) by_service[w.service].push_back(w.address);
  }
  for (auto& [service, addresses] : by_service) {
    std::sort(addresses.begin(), addresses.end());
    addresses.erase(std::unique(addresses.begin(), addresses.end()), addresses.end());
  }
  std::map<std::string, ClusterLoadAssignment> out;
  for (const Cluster* c : clusters) {
    ClusterLoadAssignment& la = out[c->name()];
    la.set_cluster_name(c->name());
    auto it = by_service.find(c->service());
    if (it == by_service.end()) continue;
    for (const auto& address : it->second) {
      auto* ep = la.add_endpoints();
      ep->set_address(address);
      ep->set_port(c->service_port());
    }
  }
  return out;
}

void addEndpoints(const std::map<std::string, ClusterLoadAssignment>& las, Generation* gen) {
  for (const auto& [name, la] : las) *gen->add_load_assignments() = la;
}

}  // namespace

const Generation& ServedSnapshot::generation() const {
  absl::call_once(merged_once_, [this] {
    merged_ = *config;
    addEndpoints(service_endpoints, &merged_);
  });
  return merged_;
}

Generation MeshState::merge(const Generation& config, const std::map<std::string, Workload>& workloads,
                            const ServiceVips* vips) {
  Generation gen = prepare(config, vips);
  addEndpoints(serviceEndpoints(serviceClusters(gen), workloads), &gen);
  return gen;
}

void MeshState::prepareConfig() {
  if (config_ == nullptr || config_->version == prepared_version_) return;
  auto prepared = std::make_shared<const Generation>(prepare(config_->generation, vips_ ? &*vips_ : nullptr));
  prepared_digest_ = xds::contentHash(*prepared);
  service_clusters_ = serviceClusters(*prepared);
  prepared_ = std::move(prepared);
  prepared_version_ = config_->version;
}

bool MeshState::republish(std::vector<std::function<void()>>* to_call) {
  publish_at_ = absl::InfiniteFuture();  // whatever was scheduled is in this one
  if (config_ == nullptr) return false;
  prepareConfig();
  auto endpoints = serviceEndpoints(service_clusters_, workloads_);
  // The content hash: the prepared configuration's digest, then every SERVICE assignment.
  std::string content = prepared_digest_;
  for (const auto& [name, la] : endpoints) content += xds::deterministicBytes(la);
  std::string hash = xds::contentHashOfBytes(content);
  if (current_ != nullptr && hash == current_hash_) {
    // Nothing served changes (say, a draining workload that was no endpoint): the current
    // version already goes without it.
    for (auto& [id, w] : workloads_) {
      if (w.draining && w.withdrawn_in.empty()) w.withdrawn_in = current_->version;
    }
    return false;
  }
  auto snap = std::make_shared<ServedSnapshot>();
  if (!restored_version_.empty()) {
    // The first version after a restart: the same content keeps its version; other content
    // takes the next number after it.
    uint64_t seq = 0;
    size_t dash = restored_version_.find('-');
    if (absl::SimpleAtoi(restored_version_.substr(0, dash), &seq)) next_version_ = seq + 1;
    if (dash != std::string::npos && restored_version_.substr(dash + 1) == hash) snap->version = restored_version_;
    restored_version_.clear();
  }
  if (snap->version.empty()) snap->version = absl::StrCat(next_version_++, "-", hash);
  snap->config_version = prepared_version_;
  snap->config = prepared_;
  snap->service_endpoints = std::move(endpoints);
  for (auto& [id, w] : workloads_) {
    if (w.draining && w.withdrawn_in.empty()) w.withdrawn_in = snap->version;
  }
  current_hash_ = hash;
  install(std::move(snap), to_call);
  return true;
}

void MeshState::install(std::shared_ptr<ServedSnapshot> snap, std::vector<std::function<void()>>* to_call) {
  if (state_writer_ != nullptr) {
    ServedState state;
    state.version = snap->version;
    for (const auto& [id, w] : workloads_) {
      if (!w.draining) state.workloads.push_back({id, w.service, w.address});
    }
    state_writer_->save(std::move(state));
  }
  current_ = std::move(snap);
  for (const auto& [id, f] : listeners_) to_call->push_back(f);
}

void MeshState::adoptVersion(const std::string& version) {
  size_t dash = version.find('-');
  uint64_t seq = 0;
  if (dash == std::string::npos || !absl::SimpleAtoi(version.substr(0, dash), &seq)) return;
  std::vector<std::function<void()>> to_call;
  {
    absl::MutexLock lock(&mu_);
    if (current_ == nullptr || version.substr(dash + 1) != current_hash_ || !versionNewer(version, current_->version)) {
      return;
    }
    auto snap = std::make_shared<ServedSnapshot>();
    snap->version = version;
    snap->config_version = current_->config_version;
    snap->config = current_->config;
    snap->service_endpoints = current_->service_endpoints;
    next_version_ = std::max(next_version_, seq + 1);
    for (auto& [id, w] : workloads_) {
      if (w.draining && w.withdrawn_in == current_->version) w.withdrawn_in = version;
    }
    install(std::move(snap), &to_call);
  }
  logLine("strait-control: serving the current content as version ", version, " (a sidecar's, same content)");
  notify(to_call);
}

void MeshState::schedulePublish(std::vector<std::function<void()>>* to_call) {
  if (debounce_ == absl::ZeroDuration()) {
    republish(to_call);
  } else {
    publish_at_ = std::min(publish_at_, absl::Now() + debounce_);  // the expiry thread publishes
    ++timer_changes_;
  }
}

void MeshState::notify(const std::vector<std::function<void()>>& to_call) {
  for (const auto& f : to_call) f();
}

void MeshState::onSourceChanged() {
  std::vector<std::function<void()>> to_call;
  {
    absl::MutexLock lock(&mu_);
    config_ = source_->current();
    republish(&to_call);
  }
  notify(to_call);
}

void MeshState::workloadUp(const strait::v1::Node& node, uint64_t token) {
  if (node.workload().address().empty()) return;
  std::vector<std::function<void()>> to_call;
  {
    absl::MutexLock lock(&mu_);
    Workload& w = workloads_[node.id()];
    w.service = node.service();
    w.address = node.workload().address();
    w.token = token;
    w.draining = false;
    w.withdrawn_in.clear();
    w.expires = absl::InfiniteFuture();
    schedulePublish(&to_call);
  }
  logLine("strait-control: workload ", node.id(), " (service ", node.service(), ") at ", node.workload().address(),
          " is an endpoint");
  notify(to_call);
}

void MeshState::workloadDraining(const std::string& node_id, uint64_t token) {
  std::vector<std::function<void()>> to_call;
  {
    absl::MutexLock lock(&mu_);
    auto it = workloads_.find(node_id);
    if (it == workloads_.end() || it->second.token != token || it->second.draining) return;
    it->second.draining = true;
    schedulePublish(&to_call);
  }
  logLine("strait-control: workload ", node_id, " is draining: its endpoint leaves in the next version");
  notify(to_call);
}

std::string MeshState::withdrawnIn(const std::string& node_id, uint64_t token) const {
  absl::MutexLock lock(&mu_);
  auto it = workloads_.find(node_id);
  if (it == workloads_.end() || it->second.token != token || !it->second.draining) return "";
  return it->second.withdrawn_in;
}

void MeshState::workloadDown(const std::string& node_id, uint64_t token) {
  absl::MutexLock lock(&mu_);
  auto it = workloads_.find(node_id);
  if (it == workloads_.end() || it->second.token != token) return;  // a newer stream owns it
  it->second.expires = absl::Now() + grace_;  // the expiry thread wakes for it (mu_ released)
  ++timer_changes_;
}

void MeshState::expiryLoop() {
  for (;;) {
    std::vector<std::function<void()>> to_call;
    std::vector<std::string> expired;
    {
      absl::MutexLock lock(&mu_);
      absl::Time next = publish_at_;
      for (const auto& [id, w] : workloads_) next = std::min(next, w.expires);
      // Wakes at the first expiry or debounced publication, when a new one is set (a workload
      // goes down, a change is scheduled), or on stop. O(1): absl evaluates the condition at
      // every release of mu_ (every current() of every stream), so it must not walk the
      // workloads.
      const uint64_t seen = timer_changes_;
      auto changed = [this, seen]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || timer_changes_ != seen;
      };
      mu_.AwaitWithDeadline(absl::Condition(&changed), next);
      if (stopping_) return;
      absl::Time now = absl::Now();
      for (auto it = workloads_.begin(); it != workloads_.end();) {
        if (it->second.expires <= now) {
          expired.push_back(it->first);
          it = workloads_.erase(it);
        } else {
          ++it;
        }
      }
      if (!expired.empty() || publish_at_ <= now) republish(&to_call);
    }
    for (const auto& id : expired) {
      logLine("strait-control: workload ", id, " gone for the grace period: endpoint removed");
    }
    notify(to_call);
  }
}

}  // namespace strait::control
