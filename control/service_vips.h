// Stable virtual addresses of mesh services (Cluster.service_vip), from a configured range
// (strait-control --service-cidr, like Kubernetes' service-cluster-ip-range).
//
// A service's address is derived from its namespace and name (SHA-256, then the next free
// address when two services land on one), so every control-plane replica and every restart
// gives the same set of services the same addresses, with nothing to persist. Addresses
// pinned in the configuration are taken first; among the rest, services are placed in
// order of namespace and name. An address can move only when a service added later lands
// on it first (about one pair in the range's size): pin service_vip where that matters.
// The range's first and last address are never handed out.
// THREADS: immutable after create(); assign() from any thread.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "strait/v1/generation.pb.h"

namespace strait::control {

class ServiceVips {
 public:
  // `cidr`: an IPv4 or IPv6 range of at least 4 addresses, e.g. "240.240.0.0/16".
  static absl::StatusOr<ServiceVips> create(const std::string& cidr);

  // Sets service_vip on every SERVICE cluster of `gen` without one (all clusters of a
  // service get the address pinned on any of them, else the derived one). Returns how many
  // services found no free address (the range is full); their clusters stay without one.
  int assign(strait::v1::Generation* gen) const;

 private:
  int family_ = 0;                      // AF_INET or AF_INET6
  std::array<uint8_t, 16> base_{};      // the range's first address (host bits zero)
  int host_bits_ = 0;                   // capped at 62: offsets fit an int64
  // The address at `offset` from the range's start, as text.
  std::string at(uint64_t offset) const;
  // The offset of `ip` in the range, or -1 if it is not in it.
  int64_t offsetOf(const std::string& ip) const;
};

}  // namespace strait::control
