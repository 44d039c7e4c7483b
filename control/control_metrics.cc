// strait-control's metrics (see control_metrics.h).
#include "control/control_metrics.h"

#include <algorithm>
#include <cctype>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"

namespace strait::control {
namespace {

constexpr size_t kMaxResourceLabel = 200;  // a longer "kind 'name'" is cut here

bool kindChar(char c) { return std::islower(static_cast<unsigned char>(c)) || c == '_'; }

// "kind 'name'" at the start of `line`, or "" if it does not start so.
std::string resourceOf(absl::string_view line) {
  size_t i = 0;
  while (i < line.size() && kindChar(line[i])) ++i;
  if (i == 0 || line.substr(i, 2) != " '") return "";
  size_t close = line.find('\'', i + 2);
  if (close == absl::string_view::npos) return "";
  return std::string(line.substr(0, std::min(close + 1, kMaxResourceLabel)));
}

void appendCounter(std::string* out, absl::string_view name, absl::string_view help, uint64_t value) {
  appendFamilyHeader(out, name, "counter", help);
  appendSample(out, name, "", "", static_cast<double>(value));
}

void appendGauge(std::string* out, absl::string_view name, absl::string_view help, double value) {
  appendFamilyHeader(out, name, "gauge", help);
  appendSample(out, name, "", "", value);
}

void appendSidecarGauges(std::string* out, const std::vector<strait::v1::SidecarStatus>& sidecars) {
  size_t connected = 0;
  std::map<std::string, size_t> acked;  // version -> connected sidecars whose last ACK it is
  for (const auto& s : sidecars) {
    if (!s.connected()) continue;
    ++connected;
    if (!s.last_acked_version().empty()) ++acked[s.last_acked_version()];
  }
  appendGauge(out, "strait_control_sidecars_connected", "Sidecars with an open ADS stream.",
              static_cast<double>(connected));
  appendFamilyHeader(out, "strait_control_sidecars_acked", "gauge",
                     "Connected sidecars whose last ACKed version is this version.");
  for (const auto& [version, n] : acked) {
    appendSample(out, "strait_control_sidecars_acked", "version", version, static_cast<double>(n));
  }
}

}  // namespace

std::vector<std::string> nackResources(absl::string_view message) {
  std::vector<std::string> out;
  bool unknown = false;
  for (absl::string_view line : absl::StrSplit(message, '\n')) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    std::string resource = resourceOf(line);
    if (resource.empty()) {
      unknown = true;
    } else if (std::find(out.begin(), out.end(), resource) == out.end()) {
      out.push_back(std::move(resource));
    }
  }
  if (unknown) out.push_back("unknown");
  return out;
}

ControlMetrics::ControlMetrics() : nacks_(kMaxNackResources, "other") {}

void ControlMetrics::sidecarAcked(uint64_t token, const std::string& version) {
  push_.acked(token, version, absl::Now());
}

void ControlMetrics::sidecarDisconnected(uint64_t token) { push_.disconnected(token, absl::Now()); }

void ControlMetrics::versionPublished(const std::string& version) { push_.published(version, absl::Now()); }

void ControlMetrics::sidecarNacked(absl::string_view message) {
  std::vector<std::string> resources = nackResources(message);
  if (resources.empty()) resources.push_back("unknown");  // an empty message still counts
  absl::MutexLock lock(&mu_);
  for (const auto& r : resources) nacks_.increment(r);
}

void ControlMetrics::certificateIssued(const std::string& spiffe_id, bool by_certificate) {
  absl::MutexLock lock(&mu_);
  ++certificates_issued_;
  bool seen = issued_identities_.count(spiffe_id) > 0;
  if (by_certificate || seen) ++certificate_renewals_;
  if (!seen && issued_identities_.size() < kMaxRememberedIdentities) issued_identities_.insert(spiffe_id);
}

void ControlMetrics::certificateFailed() {
  absl::MutexLock lock(&mu_);
  ++certificate_failures_;
}

void ControlMetrics::configLoaded(bool accepted) {
  absl::MutexLock lock(&mu_);
  ++(accepted ? loads_accepted_ : loads_refused_);
  last_load_refused_ = !accepted;
}

std::string ControlMetrics::render(const std::vector<strait::v1::SidecarStatus>& sidecars) const {
  std::string out;
  appendSidecarGauges(&out, sidecars);
  push_.latencies().render(&out, "strait_control_push_latency_seconds",
                           "Seconds from a version becoming current until every sidecar connected "
                           "then has ACKed it or a newer one.");
  appendFamilyHeader(&out, "strait_control_responses_total", "counter",
                     "DiscoveryResponses written: the whole generation (full) or a GenerationDelta (delta).");
  absl::StrAppend(&out, "strait_control_responses_total{body=\"full\"} ", full_responses_.load(), "\n",
                  "strait_control_responses_total{body=\"delta\"} ", delta_responses_.load(), "\n");
  appendFamilyHeader(&out, "strait_control_response_bytes_total", "counter", "Bytes of the DiscoveryResponses written.");
  absl::StrAppend(&out, "strait_control_response_bytes_total{body=\"full\"} ", full_bytes_.load(), "\n",
                  "strait_control_response_bytes_total{body=\"delta\"} ", delta_bytes_.load(), "\n");
  absl::MutexLock lock(&mu_);
  appendFamilyHeader(&out, "strait_control_nacks_total", "counter",
                     "NACKed resources: one per resource named in each NACK (resource=other past the cap).");
  nacks_.render(&out, "strait_control_nacks_total", "resource");
  appendCounter(&out, "strait_control_certificates_issued_total", "Workload certificates issued (renewals included).",
                certificates_issued_);
  appendCounter(&out, "strait_control_certificate_renewals_total",
                "Certificates issued again for an identity (mesh certificate or identity seen before).",
                certificate_renewals_);
  appendCounter(&out, "strait_control_certificate_failures_total", "Certificate requests refused.",
                certificate_failures_);
  appendCounter(&out, "strait_control_config_loads_accepted_total", "Config directory loads accepted.",
                loads_accepted_);
  appendCounter(&out, "strait_control_config_loads_refused_total", "Config directory loads refused.",
                loads_refused_);
  appendGauge(&out, "strait_control_config_last_load_refused", "1 if the latest config load was refused.",
              last_load_refused_ ? 1 : 0);
  return out;
}

}  // namespace strait::control
