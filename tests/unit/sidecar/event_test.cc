// Dispatcher timers (intrusive heap: order, cancellation, re-arming from a callback), the
// dispatcher's thread binding, and Buffer/BlockCache storage reuse.
#include <atomic>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "sidecar/event/dispatcher.h"
#include "sidecar/net/block_cache.h"
#include "sidecar/net/buffer.h"

namespace strait {
namespace {

TEST(DispatcherTimers, FireInDeadlineOrderThenArmingOrder) {
  event::Dispatcher d;
  std::vector<int> fired;
  std::vector<std::unique_ptr<event::Timer>> timers;
  std::mt19937 rng(7);
  std::vector<std::pair<int64_t, int>> expected;
  for (int i = 0; i < 200; i++) {
    int64_t ms = rng() % 8;
    timers.push_back(std::make_unique<event::Timer>(d, [&fired, i] { fired.push_back(i); }));
    timers.back()->enableMs(ms);
    expected.emplace_back(ms, i);
  }
  // Cancel every third; then re-arm every fifth (at 9 ms, after all the others).
  for (int i = 0; i < 200; i += 3) timers[i]->disable();
  for (int i = 1; i < 200; i += 5) timers[i]->enableMs(9);
  std::vector<int> want;
  std::stable_sort(expected.begin(), expected.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [ms, i] : expected) {
    if (i % 3 != 0 && (i % 5 != 1)) want.push_back(i);
  }
  for (int i = 1; i < 200; i += 5) want.push_back(i);  // re-armed, even if cancelled before
  event::Timer stop(d, [&d] { d.exit(); });
  stop.enableMs(12);
  d.run();
  EXPECT_EQ(fired, want);
}

TEST(DispatcherTimers, CallbackMayRearmAndDestroyOthers) {
  event::Dispatcher d;
  int ticks = 0;
  auto victim = std::make_unique<event::Timer>(d, [] { FAIL() << "destroyed timer fired"; });
  event::Timer t(d, [&] {
    victim.reset();  // cancels it from inside another timer's callback
    if (++ticks < 3) t.enableMs(0);
    else d.exit();
  });
  victim->enableMs(1);
  t.enableMs(0);
  d.run();
  EXPECT_EQ(ticks, 3);
}

// The loop-thread-only calls belong to the thread inside run(); before run() starts (set-up
// by the owner) and after it returns (teardown after the join) any one thread may use them.
TEST(DispatcherThread, BoundToTheLoopThreadOnlyWhileRunning) {
  event::Dispatcher d;
  EXPECT_TRUE(d.isThreadSafe());
  event::Timer setup(d, [] {});
  setup.enableMs(1000);  // armed on this thread before the loop's thread starts
  std::atomic<bool> running{false};
  std::atomic<bool> checked{false};
  std::thread loop([&] {
    d.post([&] {
      EXPECT_TRUE(d.isThreadSafe());
      running = true;
    });
    d.run();
  });
  while (!running) std::this_thread::yield();
  EXPECT_FALSE(d.isThreadSafe());  // this thread, while another runs the loop
  d.post([&] {
    setup.disable();
    checked = true;
    d.exit();
  });
  loop.join();
  EXPECT_TRUE(checked);
  EXPECT_TRUE(d.isThreadSafe());  // unbound again once run() returned
  setup.enableMs(5);
}

TEST(BlockCache, ReusesReleasedBlocksOfTheSameSize) {
  size_t cap = 0;
  char* a = net::BlockCache::acquire(5000, &cap);
  EXPECT_EQ(cap, 8192u);
  net::BlockCache::release(a, cap);
  size_t cap2 = 0;
  char* b = net::BlockCache::acquire(8000, &cap2);
  EXPECT_EQ(b, a);
  EXPECT_EQ(cap2, 8192u);
  net::BlockCache::release(b, cap2);
  size_t big = 0;
  char* c = net::BlockCache::acquire(3 * 1024 * 1024, &big);  // above the cached sizes
  EXPECT_EQ(big, 3u * 1024 * 1024);
  net::BlockCache::release(c, big);
}

TEST(Buffer, GrowsDrainsAndFreesWhenEmpty) {
  net::Buffer buf;
  std::string data(100000, 'x');
  for (int i = 0; i < 10; i++) {
    buf.append(data);
    EXPECT_EQ(buf.size(), data.size());
    buf.drain(60000);
    EXPECT_EQ(buf.view(), std::string(40000, 'x'));
    buf.append("yz");
    buf.drain(40000);
    EXPECT_EQ(buf.view(), "yz");
    buf.drain(2);
    EXPECT_TRUE(buf.empty());
  }
}

}  // namespace
}  // namespace strait
