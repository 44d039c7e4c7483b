// Aggregation of what the simulated sidecars saw (see fleet_stats.h).
#include "bench/fleet/fleet_stats.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace strait::bench {
namespace {

absl::Time toAbsl(Clock::time_point deadline) {
  return absl::Now() + absl::FromChrono(deadline - Clock::now());
}

}  // namespace

FleetStats::FleetStats(int sidecars, Clock::time_point start) : start_(start), sidecars_(sidecars) {}

VersionSeen& FleetStats::version(const std::string& v) {
  auto [it, inserted] = versions_.try_emplace(v);
  if (inserted) {
    it->second.version = v;
    version_order_.push_back(v);
  }
  return it->second;
}

void FleetStats::received(int i, const std::string& v, size_t bytes, bool delta) {
  absl::MutexLock lock(&mu_);
  Traffic& t = i < 0 ? churn_traffic_ : sidecar_traffic_;
  (delta ? t.delta_bytes : t.full_bytes) += bytes;
  ++(delta ? t.delta_responses : t.full_responses);
  if (i < 0) return;
  double at = now();
  Sidecar& s = sidecars_[i];
  if (s.received_version.empty()) last_first_response_ = at;
  s.received_version = v;
  VersionSeen& seen = version(v);
  ++seen.received;
  if (seen.first_received < 0) seen.first_received = at;
  seen.last_received = at;
  if (s.in_push && !s.push_received && v != s.push_base) {
    s.push_received = true;
    push_.all_received = secondsBetween(push_start_, Clock::now());
  }
}

void FleetStats::withdrawn(int i, size_t bytes) {
  absl::MutexLock lock(&mu_);
  Traffic& t = i < 0 ? churn_traffic_ : sidecar_traffic_;
  t.full_bytes += bytes;  // small; counted so that the bytes add up
  ++t.withdrawn_responses;
}

void FleetStats::acked(int i, const std::string& v) {
  absl::MutexLock lock(&mu_);
  if (i < 0) return;
  double at = now();
  Sidecar& s = sidecars_[i];
  s.acked_version = v;
  if (!s.connected) {
    s.connected = true;
    ++connected_;
    last_first_ack_ = at;
  }
  VersionSeen& seen = version(v);
  ++seen.acked;
  seen.last_acked = at;
  if (s.in_push && v != s.push_base) {
    s.in_push = false;
    ++push_.moved;
    push_.all_acked = secondsBetween(push_start_, Clock::now());
  }
}

void FleetStats::pushEnded(Sidecar* s) {
  if (!s->in_push) return;
  s->in_push = false;
  ++push_.ended;
}

void FleetStats::ended(int i, const grpc::Status& status) {
  absl::MutexLock lock(&mu_);
  ++ended_total_;
  if (!status.ok()) ++errors_[absl::StrCat(status.error_code(), ": ", status.error_message())];
  if (i < 0) return;
  Sidecar& s = sidecars_[i];
  s.ended = true;
  if (!status.ok()) ++failed_;
  if (!s.connected) ++failed_before_connect_;
  pushEnded(&s);
}

void FleetStats::endpointChanged() {
  absl::MutexLock lock(&mu_);
  ++endpoint_changes_;
}

int FleetStats::waitConnected(Clock::time_point deadline) {
  absl::MutexLock lock(&mu_);
  mu_.AwaitWithDeadline(absl::Condition(this, &FleetStats::connectDone), toAbsl(deadline));
  return connected_;
}

double FleetStats::lastFirstResponse() const {
  absl::MutexLock lock(&mu_);
  return last_first_response_;
}

double FleetStats::lastFirstAck() const {
  absl::MutexLock lock(&mu_);
  return last_first_ack_;
}

int FleetStats::failed() const {
  absl::MutexLock lock(&mu_);
  return failed_;
}

std::map<std::string, int> FleetStats::errors() const {
  absl::MutexLock lock(&mu_);
  return errors_;
}

bool FleetStats::waitAllEnded(int total_streams, Clock::time_point deadline) {
  absl::MutexLock lock(&mu_);
  auto done = [this, total_streams]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return ended_total_ >= total_streams; };
  return mu_.AwaitWithDeadline(absl::Condition(&done), toAbsl(deadline));
}

void FleetStats::beginPush() {
  absl::MutexLock lock(&mu_);
  push_ = PushResult();
  push_start_ = Clock::now();
  for (Sidecar& s : sidecars_) {
    s.in_push = s.connected && !s.ended;
    s.push_received = false;
    s.push_base = s.acked_version;
    if (s.in_push) ++push_.streams;
  }
}

PushResult FleetStats::waitPush(Clock::time_point deadline) {
  absl::MutexLock lock(&mu_);
  mu_.AwaitWithDeadline(absl::Condition(this, &FleetStats::pushDone), toAbsl(deadline));
  for (Sidecar& s : sidecars_) s.in_push = false;  // late ACKs no longer count
  return push_;
}

Traffic FleetStats::sidecarTraffic() const {
  absl::MutexLock lock(&mu_);
  return sidecar_traffic_;
}

Traffic FleetStats::churnTraffic() const {
  absl::MutexLock lock(&mu_);
  return churn_traffic_;
}

uint64_t FleetStats::endpointChanges() const {
  absl::MutexLock lock(&mu_);
  return endpoint_changes_;
}

std::vector<VersionSeen> FleetStats::versions() const {
  absl::MutexLock lock(&mu_);
  std::vector<VersionSeen> out;
  out.reserve(version_order_.size());
  for (const auto& v : version_order_) out.push_back(versions_.at(v));
  return out;
}

}  // namespace strait::bench
