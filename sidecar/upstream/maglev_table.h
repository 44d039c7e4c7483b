// The lookup table of the MAGLEV policy (Eisenbud et al., "Maglev: A Fast and Reliable
// Software Network Load Balancer", NSDI 2016, with Envoy's weighting). Built once per
// generation for a cluster (ClusterInfo::build), immutable, shared by every worker.
//
// Each endpoint has a permutation of the table's slots derived from its address (offset and
// skip from two xxHash64 seeds); endpoints take turns claiming their next free slot, a
// heavier endpoint more often, until the table is full. A key goes to table[hash % size].
// Endpoints are processed in address order, so the table depends only on the endpoint set.
// THREADS: any (const after build).
#pragma once

#include <cstdint>
#include <vector>

#include "sidecar/upstream/hash_ring.h"

namespace strait::proxy {

class MaglevTable {
 public:
  static constexpr uint64_t kDefaultSize = 65537;
  static constexpr uint64_t kMaxSize = 5000011;

  // `size` must be prime (validation guarantees it): then every permutation visits every slot.
  MaglevTable(const std::vector<HashTarget>& targets, uint64_t size);

  // The endpoint (index into `targets`) for `hash`. When it is not usable (`usable[i] == 0`;
  // nullptr: all are), the key's fallback order is followed: the slots of the key re-hashed
  // 1, 2, ... times, then the endpoints in order from hash % n. So an unusable endpoint's
  // keys spread over the others in proportion to their weights, the same way on every
  // worker and sidecar, and come back when it does. -1 if none is usable.
  int pick(uint64_t hash, const uint8_t* usable) const;
  size_t size() const { return table_.size(); }

 private:
  std::vector<uint32_t> table_;  // slot -> index into the targets
  uint32_t endpoints_ = 0;
};

}  // namespace strait::proxy
