#include "sidecar/upstream/maglev_table.h"

#include <algorithm>
#include <numeric>

#include "sidecar/upstream/stable_hash.h"

namespace strait::proxy {
namespace {

constexpr uint32_t kEmpty = UINT32_MAX;
constexpr int kFallbackProbes = 32;

struct BuildEntry {
  uint32_t endpoint;  // index into the targets
  uint64_t offset;    // first slot of its permutation
  uint64_t skip;      // step of its permutation, 1..size-1
  uint64_t weight;
  uint64_t next = 0;    // position in its permutation
  uint64_t target = 0;  // Envoy's weighting: claims a slot when iteration × weight >= target
};

// splitmix64's finalizer: a fixed, well-mixing step to the next probe of a key.
uint64_t remix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

}  // namespace

MaglevTable::MaglevTable(const std::vector<HashTarget>& targets, uint64_t size)
    : endpoints_(static_cast<uint32_t>(targets.size())) {
  if (targets.empty() || size < 2) return;
  std::vector<uint32_t> order(targets.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&targets](uint32_t a, uint32_t b) { return targets[a].name < targets[b].name; });
  std::vector<BuildEntry> entries;
  uint64_t max_weight = 0;
  for (uint32_t i : order) {
    entries.push_back({i, xxHash64(targets[i].name, 0) % size, xxHash64(targets[i].name, 1) % (size - 1) + 1,
                       targets[i].weight});
    max_weight = std::max<uint64_t>(max_weight, targets[i].weight);
  }
  table_.assign(size, kEmpty);
  uint64_t filled = 0;
  // An endpoint of the largest weight claims a slot every iteration; one of a third of it
  // every third iteration, and so on.
  for (uint64_t iteration = 1; filled < size; iteration++) {
    for (size_t e = 0; e < entries.size() && filled < size; e++) {
      BuildEntry& entry = entries[e];
      if (iteration * entry.weight < entry.target) continue;
      entry.target += max_weight;
      uint64_t slot = (entry.offset + entry.skip * entry.next) % size;
      while (table_[slot] != kEmpty) slot = (entry.offset + entry.skip * ++entry.next) % size;
      table_[slot] = entry.endpoint;
      entry.next++;
      filled++;
    }
  }
}

int MaglevTable::pick(uint64_t hash, const uint8_t* usable) const {
  if (table_.empty()) return -1;
  uint32_t endpoint = table_[hash % table_.size()];
  if (usable == nullptr || usable[endpoint]) return static_cast<int>(endpoint);
  uint64_t probe = hash;
  for (int i = 0; i < kFallbackProbes; i++) {
    probe = remix(probe);
    endpoint = table_[probe % table_.size()];
    if (usable[endpoint]) return static_cast<int>(endpoint);
  }
  // Only when few endpoints are usable (panic mode disabled): a plain scan.
  for (uint32_t i = 0, start = static_cast<uint32_t>(hash % endpoints_); i < endpoints_; i++) {
    uint32_t candidate = (start + i) % endpoints_;
    if (usable[candidate]) return static_cast<int>(candidate);
  }
  return -1;
}

}  // namespace strait::proxy
