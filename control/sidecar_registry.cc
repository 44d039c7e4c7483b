// Per-sidecar delivery state (see sidecar_registry.h).
#include "control/sidecar_registry.h"

#include "absl/strings/str_cat.h"

#include <cctype>
#include <cstdlib>

namespace strait::control {

// Versions are "<sequence>-<content hash>" (config_source.cc): ordered by the decimal
// sequence, numerically ("10-..." is newer than "9-..."), falling back to string order when
// either has none.
bool versionNewer(const std::string& a, const std::string& b) {
  char* end_a = nullptr;
  char* end_b = nullptr;
  unsigned long long va = std::strtoull(a.c_str(), &end_a, 10);
  unsigned long long vb = std::strtoull(b.c_str(), &end_b, 10);
  bool numbered = end_a != a.c_str() && end_b != b.c_str() && std::isdigit(static_cast<unsigned char>(a[0])) &&
                  std::isdigit(static_cast<unsigned char>(b[0]));
  if (numbered && va != vb) return va > vb;
  return a > b;
}

uint64_t SidecarRegistry::connected(const strait::v1::Node& node, const std::string& peer,
                                    const std::string& identity) {
  absl::MutexLock lock(&mu_);
  Entry& e = entries_[node.id()];
  e.token = next_token_++;
  e.status.set_node_id(node.id());
  e.status.set_service(node.service());
  e.status.set_connected(true);
  e.status.set_peer(peer);
  e.status.set_identity(identity);
  e.status.clear_refused();
  return e.token;
}

void SidecarRegistry::refused(const strait::v1::Node& node, const std::string& peer, const std::string& identity,
                              const std::string& reason) {
  absl::MutexLock lock(&mu_);
  Entry& e = entries_[node.id()];
  if (e.status.node_id().empty()) {  // never connected: the refused stream is all we know
    e.status.set_node_id(node.id());
    e.status.set_service(node.service());
    e.status.set_peer(peer);
    e.status.set_identity(identity);
  }
  e.status.set_refused(absl::StrCat(reason, " (from ", peer, " as ", identity.empty() ? "?" : identity, ")"));
}

SidecarRegistry::Entry* SidecarRegistry::find(const std::string& node_id, uint64_t token) {
  auto it = entries_.find(node_id);
  if (it == entries_.end() || it->second.token != token) return nullptr;
  return &it->second;
}

bool SidecarRegistry::othersApplied(const std::string& except_node, const std::string& version) const {
  absl::MutexLock lock(&mu_);
  auto reached = [&version](const std::string& v) { return !v.empty() && (v == version || versionNewer(v, version)); };
  for (const auto& [id, e] : entries_) {
    if (id == except_node || !e.status.connected()) continue;
    if (!reached(e.status.last_acked_version()) && !reached(e.status.last_nacked_version())) return false;
  }
  return true;
}

void SidecarRegistry::sent(const std::string& node_id, uint64_t token,
                           const std::string& version) {
  absl::MutexLock lock(&mu_);
  if (Entry* e = find(node_id, token)) e->status.set_last_sent_version(version);
}

void SidecarRegistry::acked(const std::string& node_id, uint64_t token,
                            const std::string& version) {
  absl::MutexLock lock(&mu_);
  Entry* e = find(node_id, token);
  if (e == nullptr) return;
  e->status.set_last_acked_version(version);
  if (!e->status.last_nacked_version().empty() &&
      versionNewer(version, e->status.last_nacked_version())) {
    e->status.clear_last_nacked_version();
    e->status.clear_last_nack_message();
  }
}

void SidecarRegistry::nacked(const std::string& node_id, uint64_t token,
                             const std::string& version, const std::string& message) {
  absl::MutexLock lock(&mu_);
  Entry* e = find(node_id, token);
  if (e == nullptr) return;
  e->status.set_last_nacked_version(version);
  e->status.set_last_nack_message(message);
}

void SidecarRegistry::disconnected(const std::string& node_id, uint64_t token) {
  absl::MutexLock lock(&mu_);
  if (Entry* e = find(node_id, token)) e->status.set_connected(false);
}

std::vector<strait::v1::SidecarStatus> SidecarRegistry::list() const {
  absl::MutexLock lock(&mu_);
  std::vector<strait::v1::SidecarStatus> out;
  for (const auto& [id, e] : entries_) out.push_back(e.status);
  return out;
}

}  // namespace strait::control
