// Shared response bodies and the DiscoveryResponse framing (see ads_response.h).
#include "control/ads_response.h"

#include <grpcpp/impl/codegen/proto_buffer_reader.h>

#include "control/sidecar_registry.h"
#include "xds/node_filter.h"
#include "xds/subscription.h"

namespace strait::control {
namespace {

using strait::v1::DiscoveryResponse;

grpc::Slice encodeBody(const DiscoveryResponse& only_body) { return grpc::Slice(only_body.SerializeAsString()); }

grpc::Slice buildFull(const ServedSnapshot& snap, const std::string& service) {
  DiscoveryResponse body;
  *body.mutable_generation() = xds::selectForService(snap.generation(), service);
  return encodeBody(body);
}

}  // namespace

grpc::ByteBuffer encodeResponse(const std::string& version, const std::string& nonce, const grpc::Slice& body) {
  DiscoveryResponse head;
  head.set_version_info(version);
  head.set_type_url(xds::kGenerationTypeUrl);
  head.set_nonce(nonce);
  grpc::Slice slices[2] = {grpc::Slice(head.SerializeAsString()), body};
  return grpc::ByteBuffer(slices, 2);
}

grpc::ByteBuffer encodeWithdrawn() {
  DiscoveryResponse withdrawn;
  withdrawn.set_type_url(xds::kGenerationTypeUrl);
  withdrawn.set_endpoint_withdrawn(true);
  grpc::Slice slice(withdrawn.SerializeAsString());
  return grpc::ByteBuffer(&slice, 1);
}

bool decodeRequest(grpc::ByteBuffer* buffer, strait::v1::DiscoveryRequest* out) {
  grpc::ProtoBufferReader reader(buffer);
  return out->ParseFromZeroCopyStream(&reader);
}

bool ResponseCache::cacheable(const ServedSnapshot& snap) {
  if (snap.version == version_) return true;
  if (!version_.empty() && !versionNewer(snap.version, version_)) return false;
  version_ = snap.version;
  full_.clear();
  deltas_.clear();
  return true;
}

grpc::Slice ResponseCache::full(const std::shared_ptr<const ServedSnapshot>& snap, const std::string& service) {
  absl::MutexLock lock(&mu_);
  if (!cacheable(*snap)) return buildFull(*snap, service);
  auto it = full_.find(service);
  if (it == full_.end()) {
    it = full_.emplace(service, buildFull(*snap, service)).first;
    full_built_++;
  }
  return it->second;
}

const std::set<std::string>& ResponseCache::selectedClusters(const ServedSnapshot& snap, const std::string& service) {
  if (snap.config_version != selected_config_) {
    selected_.clear();
    selected_config_ = snap.config_version;
  }
  auto it = selected_.find(service);
  if (it == selected_.end()) {
    std::set<std::string> names;
    // The configuration alone decides which clusters a service gets (node_filter.h).
    strait::v1::Generation selection = xds::selectForService(*snap.config, service);
    for (const auto& c : selection.clusters()) names.insert(c.name());
    it = selected_.emplace(service, std::move(names)).first;
  }
  return it->second;
}

std::optional<grpc::Slice> ResponseCache::delta(const ServedSnapshot& base,
                                                const std::shared_ptr<const ServedSnapshot>& snap,
                                                const std::string& service) {
  if (base.config_version != snap->config_version) return std::nullopt;
  absl::MutexLock lock(&mu_);
  bool cache = cacheable(*snap);
  std::pair<std::string, std::string> key(base.version, service);
  if (cache) {
    if (auto it = deltas_.find(key); it != deltas_.end()) return it->second;
  }
  const std::set<std::string>& selected = selectedClusters(*snap, service);
  DiscoveryResponse body;
  strait::v1::GenerationDelta* delta = body.mutable_delta();
  delta->set_base_version(base.version);
  // Same config version: only the SERVICE clusters' assignments can differ.
  for (const auto& [name, la] : snap->service_endpoints) {
    if (selected.count(name) == 0) continue;
    auto old = base.service_endpoints.find(name);
    if (old == base.service_endpoints.end() || old->second.SerializeAsString() != la.SerializeAsString()) {
      *delta->add_load_assignments() = la;
    }
  }
  for (const auto& [name, la] : base.service_endpoints) {
    if (selected.count(name) != 0 && snap->service_endpoints.count(name) == 0) {
      delta->add_removed_load_assignments(name);
    }
  }
  grpc::Slice slice = encodeBody(body);
  if (cache) {
    deltas_.emplace(key, slice);
    deltas_built_++;
  }
  return slice;
}

uint64_t ResponseCache::fullBuilt() const {
  absl::MutexLock lock(&mu_);
  return full_built_;
}

uint64_t ResponseCache::deltasBuilt() const {
  absl::MutexLock lock(&mu_);
  return deltas_built_;
}

}  // namespace strait::control
