// Replaced generations are kept while something (a stream on a worker) still holds them and
// are freed on the reaper's thread once only the reaper does.
#include "sidecar/server/snapshot_reaper.h"

#include <gtest/gtest.h>

#include "tests/unit/eventually.h"

namespace strait::server {
namespace {

TEST(SnapshotReaper, FreesWhatNobodyElseHolds) {
  SnapshotReaper reaper;
  auto pinned = std::make_shared<proxy::Snapshot>();
  std::weak_ptr<proxy::Snapshot> watch = pinned;
  reaper.retire(pinned);
  reaper.retire(std::make_shared<proxy::Snapshot>());
  reaper.retire(nullptr);  // nothing to keep
  ASSERT_TRUE(strait::testing::eventually([&] { return reaper.held() == 1; }));  // the unpinned one went
  EXPECT_FALSE(watch.expired());
  pinned.reset();  // the last stream on it ends
  ASSERT_TRUE(strait::testing::eventually([&] { return reaper.held() == 0; }));
  EXPECT_TRUE(watch.expired());
}

}  // namespace
}  // namespace strait::server
