// The store's byte accounting, stored and transient (the chunks kept for readers of an
// object that outgrew max_object_bytes), without a proxy around it: entries are filled and
// read by hand, as the cache filter's filler and readers do.
#include "sidecar/filters/cache/cache_store.h"

#include <gtest/gtest.h>

namespace strait::filters::cache {
namespace {

Entry::Chunk chunk(size_t n) { return std::make_shared<const std::string>(n, 'x'); }

class TransientTest : public ::testing::Test {
 protected:
  // A pending entry under `path`, as a miss inserts it for its filler.
  std::shared_ptr<Entry> pending(const std::string& path) {
    bool inserted = false;
    auto e = store_.lookup(path, http::HeaderMap(), true, &inserted);
    EXPECT_TRUE(inserted);
    return e;
  }
  // A stored object of `bytes` under `path`.
  std::shared_ptr<Entry> stored(const std::string& path, uint64_t bytes) {
    auto e = pending(path);
    EXPECT_TRUE(store_.charge(e, bytes));
    return e;
  }
  std::shared_ptr<Waker> reader(const std::shared_ptr<Entry>& e) {
    auto w = std::make_shared<Waker>();
    w->dispatcher = &dispatcher_;
    EXPECT_TRUE(e->subscribe(w));
    return w;
  }
  // A reader takes everything up to chunk `upto`, as CacheFilter::pull does.
  Entry::View read(const std::shared_ptr<Entry>& e, Waker& w, size_t upto) {
    Entry::View v;
    e->snapshot(upto, &v, &w);
    store_.adjustTransient(-static_cast<int64_t>(v.released));
    return v;
  }
  // The filler's chunk: charged while stored, transient once it is not.
  void fill(const std::shared_ptr<Entry>& e, size_t n, bool* storing) {
    if (*storing && !store_.charge(e, n)) {
      *storing = false;
      store_.adjustTransient(static_cast<int64_t>(e->makeTransient(store_.maxObjectBytes())));
    }
    store_.adjustTransient(e->append(chunk(n)));
  }

  event::Dispatcher dispatcher_;  // wake-ups are posted to it, never run
  Store store_;
};

TEST_F(TransientTest, OutgrownObjectIsChargedUntilItsReadersTakeIt) {
  store_.setLimits(8000, 4000);
  auto a = stored("a", 3000);
  auto b = stored("b", 3000);
  auto f = pending("f");  // unknown length, filling
  auto fast = reader(f);
  auto slow = reader(f);
  bool storing = store_.charge(f, 0);
  fill(f, 2000, &storing);
  EXPECT_TRUE(storing);
  EXPECT_EQ(store_.bytes(), 8000u);
  EXPECT_EQ(read(f, *fast, 1).chunks.size(), 0u);  // the fast reader took chunk 0

  // Chunk 1 outgrows max_object_bytes: f leaves the store, its 2000 kept bytes become
  // transient, and keeping 4500 for the slow reader would exceed max_lag: it is cut off.
  fill(f, 2500, &storing);
  EXPECT_FALSE(storing);
  EXPECT_EQ(store_.storedBytes(), 3000u);  // a was evicted (least recently used) to make room
  EXPECT_EQ(store_.lookup("a", http::HeaderMap(), false, nullptr), nullptr);
  EXPECT_NE(store_.lookup("b", http::HeaderMap(), false, nullptr), nullptr);
  EXPECT_EQ(store_.transientBytes(), 2500);
  EXPECT_EQ(f->keptBytes(), 2500u);
  EXPECT_TRUE(read(f, *slow, 0).missed);
  EXPECT_EQ(store_.lookup("f", http::HeaderMap(), false, nullptr), nullptr);  // nobody new joins

  // The fast reader goes on; what it took is released.
  Entry::View v = read(f, *fast, 1);
  EXPECT_FALSE(v.missed);
  ASSERT_EQ(v.chunks.size(), 1u);
  EXPECT_EQ(v.chunks[0]->size(), 2500u);
  EXPECT_EQ(read(f, *fast, 2).released, 2500u);
  EXPECT_EQ(store_.transientBytes(), 0);
  for (int i = 0; i < 100; i++) {  // a long stream read as it comes costs one chunk at a time
    fill(f, 1000, &storing);
    EXPECT_LE(store_.bytes(), 8000u);
    read(f, *fast, 3 + static_cast<size_t>(i));
  }
  EXPECT_EQ(store_.transientBytes(), 0);
  EXPECT_EQ(f->unsubscribe(slow.get()), 0u);
  EXPECT_TRUE(f->hasReaders());
  store_.adjustTransient(-static_cast<int64_t>(f->complete()));
  EXPECT_EQ(store_.bytes(), 3000u);
}

TEST_F(TransientTest, SlowReaderCostsAtMostMaxLag) {
  store_.setLimits(100000, 4000);
  auto f = pending("f");
  auto slow = reader(f);
  bool storing = true;
  for (int i = 0; i < 50; i++) {
    fill(f, 1000, &storing);
    EXPECT_LE(store_.transientBytes(), 4000);
  }
  EXPECT_FALSE(storing);
  // Cut off when it fell behind: the filler sees no reader left and would stop.
  EXPECT_FALSE(f->hasReaders());
  EXPECT_TRUE(read(f, *slow, 0).missed);
  EXPECT_EQ(f->unsubscribe(slow.get()), 0u);
  EXPECT_EQ(store_.transientBytes(), 0);
}

TEST_F(TransientTest, CompletedObjectIsReleasedByItsLastReader) {
  store_.setLimits(100000, 1000);
  auto f = pending("f");
  auto r1 = reader(f);
  auto r2 = reader(f);
  bool storing = true;
  fill(f, 600, &storing);
  read(f, *r1, 1);
  read(f, *r2, 1);
  fill(f, 600, &storing);  // over max_object_bytes: transient; chunk 0 was taken by both
  EXPECT_FALSE(storing);
  EXPECT_EQ(store_.transientBytes(), 600);
  EXPECT_EQ(f->complete(), 0u);  // the readers still need chunk 1
  EXPECT_EQ(read(f, *r1, 1).chunks.size(), 1u);
  EXPECT_EQ(f->unsubscribe(r1.get()), 0u);
  EXPECT_EQ(read(f, *r2, 1).chunks.size(), 1u);
  store_.adjustTransient(-static_cast<int64_t>(f->unsubscribe(r2.get())));
  EXPECT_EQ(store_.transientBytes(), 0);
  EXPECT_EQ(store_.bytes(), 0u);
}

TEST_F(TransientTest, FailedFillReleasesEverything) {
  store_.setLimits(100000, 1000);
  auto f = pending("f");
  auto r = reader(f);
  bool storing = true;
  fill(f, 800, &storing);
  fill(f, 100, &storing);
  read(f, *r, 2);
  fill(f, 800, &storing);  // transient, 800 kept for r
  EXPECT_EQ(store_.transientBytes(), 800);
  store_.adjustTransient(-static_cast<int64_t>(f->fail()));
  EXPECT_EQ(store_.transientBytes(), 0);
  EXPECT_EQ(store_.bytes(), 0u);
  Entry::View v = read(f, *r, 2);
  EXPECT_EQ(v.state, Entry::State::kFailed);
  EXPECT_TRUE(v.chunks.empty());
}

// A background refresh's new object takes the stale one's place, unless the stale one was
// invalidated (an unsafe method to the URL) while the refresh was in flight.
TEST_F(TransientTest, ReplaceOnlyWhileTheStaleObjectIsMapped) {
  store_.setLimits(1 << 20, 1 << 20);
  auto stale = stored("/r", 100);
  auto fresh = std::make_shared<Entry>("/r", "");
  EXPECT_TRUE(store_.replace(stale, fresh, {}, ""));
  bool inserted = false;
  EXPECT_EQ(store_.lookup("/r", http::HeaderMap(), false, &inserted), fresh);

  auto stale2 = stored("/s", 100);
  EXPECT_EQ(store_.invalidate("/s"), 1u);
  auto fresh2 = std::make_shared<Entry>("/s", "");
  EXPECT_FALSE(store_.replace(stale2, fresh2, {}, ""));
  EXPECT_EQ(store_.lookup("/s", http::HeaderMap(), false, &inserted), nullptr);
}

}  // namespace
}  // namespace strait::filters::cache
