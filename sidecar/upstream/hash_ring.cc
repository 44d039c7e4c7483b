#include "sidecar/upstream/hash_ring.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "sidecar/upstream/stable_hash.h"

namespace strait::proxy {

HashRing::HashRing(const std::vector<HashTarget>& targets, uint64_t min_size, uint64_t max_size) {
  if (targets.empty()) return;
  double total = 0;
  uint32_t min_weight = targets[0].weight;
  for (const auto& t : targets) {
    total += t.weight;
    min_weight = std::min(min_weight, t.weight);
  }
  // Points of the lightest endpoint; the others get more in proportion to their weights.
  // Envoy's sizing (enough for min_size in all) alone gives every endpoint fewer points as
  // endpoints are added, which moves keys between the old endpoints too; the floor keeps
  // the count fixed once the cluster has more than about min_size / kMinLightestPoints
  // endpoints, and the ring then only grows.
  double lightest = std::max(std::ceil(min_weight / total * static_cast<double>(min_size)),
                             static_cast<double>(kMinLightestPoints));
  double scale = std::min(lightest * total / min_weight, static_cast<double>(max_size));
  for (uint32_t i = 0; i < targets.size(); i++) {
    uint64_t count = std::max<uint64_t>(1, std::llround(scale * targets[i].weight / total));
    std::string key = absl::StrCat(targets[i].name, "_");
    size_t prefix = key.size();
    for (uint64_t n = 0; n < count; n++) {
      key.resize(prefix);
      absl::StrAppend(&key, n);
      points_.push_back({xxHash64(key), i});
    }
  }
  // Ties (two points on one hash) are broken by name, again independent of list order.
  std::sort(points_.begin(), points_.end(), [&targets](const Point& a, const Point& b) {
    if (a.hash != b.hash) return a.hash < b.hash;
    return targets[a.endpoint].name < targets[b.endpoint].name;
  });
}

int HashRing::pick(uint64_t hash, const uint8_t* usable) const {
  if (points_.empty()) return -1;
  auto it = std::lower_bound(points_.begin(), points_.end(), hash,
                             [](const Point& p, uint64_t h) { return p.hash < h; });
  size_t i = it == points_.end() ? 0 : static_cast<size_t>(it - points_.begin());
  // An unusable endpoint's keys go on to the next point: with n endpoints interleaved on
  // the ring that walk is short (about n / usable points).
  for (size_t walked = 0; walked < points_.size(); walked++) {
    uint32_t endpoint = points_[i].endpoint;
    if (usable == nullptr || usable[endpoint]) return static_cast<int>(endpoint);
    if (++i == points_.size()) i = 0;
  }
  return -1;
}

}  // namespace strait::proxy
