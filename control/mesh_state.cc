// Service discovery's merge and the served versions (see mesh_state.h).
#include "control/mesh_state.h"

#include <algorithm>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "control/log_line.h"

namespace strait::control {

MeshState::MeshState(ConfigSource* source, absl::Duration grace, std::optional<ServiceVips> vips)
    : source_(source), grace_(grace), vips_(std::move(vips)) {}

MeshState::~MeshState() { stop(); }

void MeshState::start() {
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
}

std::shared_ptr<const ConfigSnapshot> MeshState::current() const {
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

strait::v1::Generation MeshState::merge(const strait::v1::Generation& config,
                                        const std::map<std::string, Workload>& workloads,
                                        const ServiceVips* vips) {
  strait::v1::Generation gen = config;
  if (vips != nullptr) vips->assign(&gen);
  std::map<std::string, const strait::v1::Cluster*> service_clusters;
  for (const auto& c : gen.clusters()) {
    if (c.type() == strait::v1::Cluster::SERVICE) service_clusters[c.name()] = &c;
  }
  if (service_clusters.empty()) return gen;
  // The registry's endpoints replace whatever the configuration gave these clusters.
  auto* assignments = gen.mutable_load_assignments();
  assignments->erase(std::remove_if(assignments->begin(), assignments->end(),
                                    [&](const strait::v1::ClusterLoadAssignment& la) {
                                      return service_clusters.count(la.cluster_name()) > 0;
                                    }),
                     assignments->end());
  for (const auto& [name, cluster] : service_clusters) {
    std::vector<std::string> addresses;
    for (const auto& [node_id, w] : workloads) {
      if (w.service == cluster->service() && !w.draining) addresses.push_back(w.address);
    }
    std::sort(addresses.begin(), addresses.end());  // the same set, the same content
    addresses.erase(std::unique(addresses.begin(), addresses.end()), addresses.end());
    strait::v1::ClusterLoadAssignment* la = gen.add_load_assignments();
    la->set_cluster_name(name);
    for (const auto& address : addresses) {
      auto* ep = la->add_endpoints();
      ep->set_address(address);
      ep->set_port(cluster->service_port());
    }
  }
  return gen;
}

bool MeshState::republish(std::vector<std::function<void()>>* to_call) {
  if (config_ == nullptr) return false;
  strait::v1::Generation gen = merge(config_->generation, workloads_, vips_ ? &*vips_ : nullptr);
  std::string hash = ConfigSource::contentHash(gen);
  if (current_ != nullptr && hash == current_hash_) return false;
  auto snap = std::make_shared<ConfigSnapshot>();
  snap->version = absl::StrCat(next_version_++, "-", hash);
  snap->generation = std::move(gen);
  current_ = std::move(snap);
  current_hash_ = hash;
  for (const auto& [id, f] : listeners_) to_call->push_back(f);
  return true;
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
    w.expires = absl::InfiniteFuture();
    republish(&to_call);
  }
  logLine("strait-control: workload ", node.id(), " (service ", node.service(), ") at ", node.workload().address(),
          " is an endpoint");
  notify(to_call);
}

std::string MeshState::workloadDraining(const std::string& node_id, uint64_t token) {
  std::vector<std::function<void()>> to_call;
  std::string version;
  {
    absl::MutexLock lock(&mu_);
    auto it = workloads_.find(node_id);
    if (it != workloads_.end() && it->second.token == token && !it->second.draining) {
      it->second.draining = true;
      republish(&to_call);
    }
    version = current_ ? current_->version : "";
  }
  logLine("strait-control: workload ", node_id, " is draining: endpoint withdrawn in version ", version);
  notify(to_call);
  return version;
}

void MeshState::workloadDown(const std::string& node_id, uint64_t token) {
  absl::MutexLock lock(&mu_);
  auto it = workloads_.find(node_id);
  if (it == workloads_.end() || it->second.token != token) return;  // a newer stream owns it
  it->second.expires = absl::Now() + grace_;  // the expiry thread wakes for it (mu_ released)
}

void MeshState::expiryLoop() {
  for (;;) {
    std::vector<std::function<void()>> to_call;
    std::vector<std::string> expired;
    {
      absl::MutexLock lock(&mu_);
      absl::Time next = absl::InfiniteFuture();
      for (const auto& [id, w] : workloads_) next = std::min(next, w.expires);
      // Wakes at the first expiry, when a workload goes down (expires changes), or on stop.
      auto changed = [this, next]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        if (stopping_) return true;
        for (const auto& [id, w] : workloads_) {
          if (w.expires < next) return true;
        }
        return false;
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
      if (!expired.empty()) republish(&to_call);
    }
    for (const auto& id : expired) {
      logLine("strait-control: workload ", id, " gone for the grace period: endpoint removed");
    }
    notify(to_call);
  }
}

}  // namespace strait::control
