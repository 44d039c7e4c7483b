// Validation of the load-balancing settings of clusters (Cluster.lb_policy, lb_config,
// healthy_panic_threshold); see validate.h for the message format.
//
// Policy: a sub-message of LbConfig that the cluster's policy does not read is rejected
// rather than ignored, so a configuration never looks sticky (hash_policy) or tuned while it
// is not; RING_HASH and MAGLEV require a hash_policy.
#include <map>

#include "absl/strings/str_cat.h"
#include "xds/validate_internal.h"

namespace strait::xds::internal {
namespace {

using strait::v1::Cluster;
using strait::v1::LbConfig;

constexpr uint64_t kMaxRingSize = 8 * 1024 * 1024;  // sidecar/upstream/hash_ring.h
constexpr uint64_t kMaxMaglevSize = 5000011;        // sidecar/upstream/maglev_table.h
constexpr uint64_t kDefaultMaglevSize = 65537;
constexpr uint32_t kMaxChoiceCount = 100;

bool isPrime(uint64_t n) {
  if (n < 2) return false;
  for (uint64_t d = 2; d * d <= n; d++) {
    if (n % d == 0) return false;
  }
  return true;
}

void checkHashPolicy(const Cluster& c, Problems* p) {
  const std::string& n = c.name();
  bool hashing = c.lb_policy() == Cluster::RING_HASH || c.lb_policy() == Cluster::MAGLEV;
  const auto& lb = c.lb_config();
  if (!lb.has_hash_policy()) {
    if (hashing) {
      p->add("cluster", n, "lb_config.hash_policy",
             absl::StrCat("required by lb_policy ", Cluster::LbPolicy_Name(c.lb_policy())));
    }
    return;
  }
  if (!hashing) {
    p->add("cluster", n, "lb_config.hash_policy",
           absl::StrCat("only RING_HASH and MAGLEV hash requests, not lb_policy ",
                        Cluster::LbPolicy_Name(c.lb_policy())));
    return;
  }
  const auto& hp = lb.hash_policy();
  switch (hp.key_case()) {
    case LbConfig::HashPolicy::kHeaderName:
      if (!isHeaderName(hp.header_name())) {
        p->add("cluster", n, "lb_config.hash_policy.header_name",
               "'" + hp.header_name() + "' is not a valid header name");
      }
      break;
    case LbConfig::HashPolicy::kCookieName:
      if (!isHeaderName(hp.cookie_name())) {  // a cookie name is a token too (RFC 6265)
        p->add("cluster", n, "lb_config.hash_policy.cookie_name",
               "'" + hp.cookie_name() + "' is not a valid cookie name");
      }
      break;
    case LbConfig::HashPolicy::kSourceIp:
      if (!hp.source_ip()) p->add("cluster", n, "lb_config.hash_policy.source_ip", "must be true when set");
      break;
    case LbConfig::HashPolicy::KEY_NOT_SET:
      p->add("cluster", n, "lb_config.hash_policy", "set one of header_name, cookie_name, source_ip");
      break;
  }
}

// A sub-message for another policy than the cluster's.
bool wrongPolicy(const Cluster& c, bool present, Cluster::LbPolicy wanted, const std::string& field,
                 Problems* p) {
  if (!present || c.lb_policy() == wanted) return false;
  p->add("cluster", c.name(), "lb_config." + field,
         absl::StrCat("only used by lb_policy ", Cluster::LbPolicy_Name(wanted), ", not ",
                      Cluster::LbPolicy_Name(c.lb_policy())));
  return true;
}

void checkRingHash(const Cluster& c, Problems* p) {
  const auto& lb = c.lb_config();
  if (wrongPolicy(c, lb.has_ring_hash(), Cluster::RING_HASH, "ring_hash", p)) return;
  uint64_t min = lb.ring_hash().minimum_ring_size();
  uint64_t max = lb.ring_hash().maximum_ring_size();
  if (min > kMaxRingSize) {
    p->add("cluster", c.name(), "lb_config.ring_hash.minimum_ring_size",
           absl::StrCat(min, " out of range 1..", kMaxRingSize));
  }
  uint64_t low = min == 0 ? 1024 : min;
  if (max != 0 && (max < low || max > kMaxRingSize)) {
    p->add("cluster", c.name(), "lb_config.ring_hash.maximum_ring_size",
           absl::StrCat(max, " out of range ", low, "..", kMaxRingSize));
  }
}

void checkMaglev(const Cluster& c, int endpoints, Problems* p) {
  const auto& lb = c.lb_config();
  if (wrongPolicy(c, lb.has_maglev(), Cluster::MAGLEV, "maglev", p)) return;
  uint64_t size = lb.maglev().table_size();
  const std::string field = "lb_config.maglev.table_size";
  uint64_t effective = size == 0 ? kDefaultMaglevSize : size;
  if (size > kMaxMaglevSize) {
    p->add("cluster", c.name(), field, absl::StrCat(size, " out of range 2..", kMaxMaglevSize));
  } else if (size != 0 && !isPrime(size)) {
    p->add("cluster", c.name(), field, absl::StrCat(size, " is not a prime number"));
  } else if (c.lb_policy() == Cluster::MAGLEV && effective < static_cast<uint64_t>(endpoints)) {
    p->add("cluster", c.name(), field,
           absl::StrCat(effective, " is smaller than the cluster's ", endpoints, " endpoints"));
  }
}

void checkLeastRequest(const Cluster& c, Problems* p) {
  const auto& lb = c.lb_config();
  if (wrongPolicy(c, lb.has_least_request(), Cluster::LEAST_REQUEST, "least_request", p)) return;
  uint32_t choices = lb.least_request().choice_count();
  if (choices == 1 || choices > kMaxChoiceCount) {
    p->add("cluster", c.name(), "lb_config.least_request.choice_count",
           absl::StrCat(choices, " out of range 2..", kMaxChoiceCount));
  }
}

}  // namespace

void validateLoadBalancing(const strait::v1::Generation& gen, Problems* problems) {
  std::map<std::string, int> endpoints;
  for (const auto& la : gen.load_assignments()) endpoints[la.cluster_name()] += la.endpoints_size();
  for (const auto& c : gen.clusters()) {
    if (!Cluster::LbPolicy_IsValid(c.lb_policy())) continue;  // reported by checkClusters
    checkHashPolicy(c, problems);
    checkRingHash(c, problems);
    checkMaglev(c, endpoints[c.name()], problems);
    checkLeastRequest(c, problems);
    if (c.has_healthy_panic_threshold() && c.healthy_panic_threshold() > 100) {
      problems->add("cluster", c.name(), "healthy_panic_threshold",
                    absl::StrCat(c.healthy_panic_threshold(), " out of range 0..100 (percent)"));
    }
  }
}

}  // namespace strait::xds::internal
