#include "sidecar/upstream/hash_ring.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "tests/unit/sidecar/upstream/lb_test_util.h"

namespace strait::proxy {
namespace {

using testing::keyHash;

constexpr int kKeys = 100000;

std::vector<HashTarget> targets(int n, uint32_t weight = 1) {
  std::vector<HashTarget> out;
  for (int i = 0; i < n; i++) out.push_back({testing::endpointIp(i) + ":8080", weight});
  return out;
}

std::vector<double> shares(const HashRing& ring, size_t n) {
  std::vector<double> out(n, 0);
  for (int key = 0; key < kKeys; key++) out[static_cast<size_t>(ring.pick(keyHash(key), nullptr))] += 1.0 / kKeys;
  return out;
}

TEST(HashRing, SizeFollowsMinimumAndMaximum) {
  EXPECT_EQ(HashRing(targets(4), 1024, HashRing::kMaxSize).size(), 1024u);
  EXPECT_EQ(HashRing(targets(3), 1024, HashRing::kMaxSize).size(), 1026u);
  // At least 100 points for the lightest endpoint: 10 × 100.
  EXPECT_EQ(HashRing(targets(10), 64, HashRing::kMaxSize).size(), 1000u);
  // Weights 1 and 999: 100 points for the light endpoint means 100000, capped at 10000.
  HashRing capped({{"a:1", 1}, {"b:1", 999}}, 1024, 10000);
  EXPECT_EQ(capped.size(), 10000u);
  EXPECT_EQ(HashRing({}, 1024, HashRing::kMaxSize).pick(1, nullptr), -1);
}

TEST(HashRing, EqualWeightsShareKeysEvenly) {
  HashRing ring(targets(10), 1024, HashRing::kMaxSize);
  for (double share : shares(ring, 10)) EXPECT_NEAR(share, 0.1, 0.03);
  // A bigger ring evens the split out.
  HashRing big(targets(10), 65536, HashRing::kMaxSize);
  for (double share : shares(big, 10)) EXPECT_NEAR(share, 0.1, 0.01);
}

TEST(HashRing, WeightsSetTheShares) {
  std::vector<HashTarget> t = targets(4);
  for (uint32_t i = 0; i < 4; i++) t[i].weight = i + 1;
  HashRing ring(t, 16384, HashRing::kMaxSize);
  std::vector<double> s = shares(ring, 4);
  for (size_t i = 0; i < 4; i++) EXPECT_NEAR(s[i], (i + 1) / 10.0, 0.015) << i;
}

// Adding one endpoint to n moves about 1/(n+1) of the keys, all of them to the new endpoint
// once every endpoint has its fixed 100 points (n > 1024 / 100); below that, the old
// endpoints lose a few points each and some keys move between them too.
void expectConsistentOnAdd(int n) {
  HashRing before(targets(n), 1024, HashRing::kMaxSize);
  HashRing after(targets(n + 1), 1024, HashRing::kMaxSize);
  int moved = 0;
  for (int key = 0; key < kKeys; key++) {
    int a = before.pick(keyHash(key), nullptr), b = after.pick(keyHash(key), nullptr);
    if (a == b) continue;
    moved++;
    if (n > 10) {
      EXPECT_EQ(b, n) << "a key moved between two old endpoints";
    }
  }
  double fraction = static_cast<double>(moved) / kKeys, ideal = 1.0 / (n + 1);
  EXPECT_GT(fraction, ideal * 0.8) << n;
  EXPECT_LT(fraction, ideal * (n > 10 ? 1.2 : 1.6)) << n;  // measured: 1.54 (n=5), 1.17 (n=10)
}

TEST(HashRing, AddingOneEndpointMovesOnlyItsShare) {
  expectConsistentOnAdd(5);
  expectConsistentOnAdd(10);
  expectConsistentOnAdd(20);
  expectConsistentOnAdd(100);
}

TEST(HashRing, IndependentOfEndpointOrder) {
  std::vector<HashTarget> t = targets(20);
  std::vector<HashTarget> reversed(t.rbegin(), t.rend());
  HashRing a(t, 1024, HashRing::kMaxSize), b(reversed, 1024, HashRing::kMaxSize);
  for (int key = 0; key < 10000; key++) {
    EXPECT_EQ(t[static_cast<size_t>(a.pick(keyHash(key), nullptr))].name,
              reversed[static_cast<size_t>(b.pick(keyHash(key), nullptr))].name);
  }
}

TEST(HashRing, UnusableEndpointsKeysGoToTheNextOnTheRing) {
  HashRing ring(targets(5), 1024, HashRing::kMaxSize);
  std::vector<uint8_t> usable(5, 1);
  usable[2] = 0;
  for (int key = 0; key < 10000; key++) {
    int all = ring.pick(keyHash(key), nullptr);
    int some = ring.pick(keyHash(key), usable.data());
    if (all != 2) {
      EXPECT_EQ(some, all);
    }
    else EXPECT_NE(some, 2);
  }
  std::fill(usable.begin(), usable.end(), 0);
  EXPECT_EQ(ring.pick(keyHash(1), usable.data()), -1);
}

TEST(HashRing, KeysAtTheTopOfTheRingWrapAround) {
  HashRing ring(targets(3), 1024, HashRing::kMaxSize);
  EXPECT_EQ(ring.pick(UINT64_MAX, nullptr), ring.pick(0, nullptr));
}

}  // namespace
}  // namespace strait::proxy
