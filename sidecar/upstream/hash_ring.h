// The ring of the RING_HASH policy (ketama-style consistent hashing). Built once per
// generation for a cluster (ClusterInfo::build), immutable, shared by every worker.
//
// Each endpoint gets points on a 64-bit ring in proportion to its weight: xxHash64 of
// "<ip:port>_<n>" for n = 0, 1, ... A key goes to the first point at or after its hash
// (wrapping). Points depend only on an endpoint's address and weight, never on its position
// in the assignment, so sidecars with the same endpoints agree, and adding one endpoint
// takes over only the arcs in front of its own points (about 1/(n+1) of the keys).
// THREADS: any (const after build).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace strait::proxy {

// An endpoint as the consistent-hash tables see it.
struct HashTarget {
  std::string name;     // "ip:port": what its points are derived from
  uint32_t weight = 1;  // 1..1000
};

class HashRing {
 public:
  static constexpr uint64_t kDefaultMinSize = 1024;
  static constexpr uint64_t kMaxSize = 8 * 1024 * 1024;
  // Points of the lightest endpoint at least (about ±10% evenness, as ketama's 100-160).
  static constexpr uint64_t kMinLightestPoints = 100;

  // The lightest endpoint gets max(min_size × its share of the total weight, 100) points,
  // the others points in proportion to their weights; the whole is capped at max_size.
  HashRing(const std::vector<HashTarget>& targets, uint64_t min_size, uint64_t max_size);

  // The endpoint (index into `targets`) owning `hash`: the first point at or after it whose
  // endpoint is usable (`usable[i] != 0`; nullptr: all are). -1 if none is usable.
  int pick(uint64_t hash, const uint8_t* usable) const;
  size_t size() const { return points_.size(); }

 private:
  struct Point {
    uint64_t hash;      // position on the ring
    uint32_t endpoint;  // index into the targets
  };
  std::vector<Point> points_;  // sorted by hash
};

}  // namespace strait::proxy
