// One event loop (epoll) per thread: file events, timers, cross-thread posts, and deferred
// work (flushes, deletions) run after each batch of events.
//
// THREADS: run(), addFd/modifyFd/removeFd, Timer and deferred* may only be used on the
// dispatcher's own thread (asserted in debug builds). post() and exit() may be called from
// any thread; that is the only way other threads talk to a dispatcher. The dispatcher's own
// thread is the one inside run(); while run() is not running (an owner setting things up
// before it starts the loop's thread, or tearing down after joining it) one thread at a time
// may use the loop-only calls too.
#pragma once

#include <sys/epoll.h>

#include <atomic>
#include <cassert>
#include <cstdint>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace strait::event {

// The monotonic clock in milliseconds that Dispatcher::nowMs caches (and HostState, timers,
// admin and CLI deadlines use). Any thread.
int64_t monotonicMs();

// Receives readiness events for one file descriptor.
class IoHandler {
 public:
  virtual ~IoHandler() = default;
  virtual void onIoEvent(uint32_t epoll_events) = 0;
};

// Something whose destruction must wait until the current event has been handled (an
// object cannot safely delete itself inside its own callback).
class DeferredDeletable {
 public:
  virtual ~DeferredDeletable() = default;
};

class Dispatcher;

// A one-shot timer owned by its user; destroying it cancels it. Arming and cancelling do not
// allocate (the dispatcher keeps armed timers in an intrusive binary heap).
class Timer {
 public:
  Timer(Dispatcher& dispatcher, std::function<void()> cb);
  ~Timer();
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  void enableMs(int64_t ms);  // (re)arms; fires once after `ms` milliseconds
  void disable();
  bool enabled() const { return armed_; }
  int64_t deadlineMs() const { return deadline_ms_; }  // meaningful while enabled()

 private:
  friend class Dispatcher;
  Dispatcher& dispatcher_;
  std::function<void()> cb_;
  bool armed_ = false;
  int64_t deadline_ms_ = 0;
  uint64_t seq_ = 0;        // arming order: timers due at the same time fire in that order
  size_t heap_index_ = 0;   // position in Dispatcher::timers_ while armed
};

class Dispatcher {
 public:
  Dispatcher();
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  // Runs until exit(); binds the dispatcher to the calling thread until it returns.
  void run();
  // One iteration of run()'s loop on the calling thread (bound to it meanwhile), waiting at most
  // `max_wait_ms` for events (less when a timer or deferred work is due). A test seam: unit
  // tests drive the loop step by step (run() cannot be resumed after exit()).
  void runOnce(int max_wait_ms);
  // Any thread: stop run() after the current iteration.
  void exit();
  // Any thread: run `task` on the dispatcher's thread soon.
  void post(std::function<void()> task) ABSL_LOCKS_EXCLUDED(post_mu_);

  // Dispatcher thread only.
  void addFd(int fd, uint32_t events, IoHandler* handler);
  void modifyFd(int fd, uint32_t events, IoHandler* handler);
  void removeFd(int fd);
  // `fn` runs once after the current batch of events (used to coalesce writes).
  void deferred(std::function<void()> fn) {
    assertInLoop();
    deferred_.push_back(std::move(fn));
  }
  void deferredDelete(std::unique_ptr<DeferredDeletable> obj) {
    assertInLoop();
    to_delete_.push_back(std::move(obj));
  }
  // Monotonic milliseconds, cached per loop iteration.
  int64_t nowMs() const { return now_ms_; }

  // Whether the calling thread may use the dispatcher-thread-only calls: it is the thread
  // inside run() (or runOnce()), or the loop is not running (before run(), after it returns).
  bool isThreadSafe() const {
    std::thread::id loop = loop_thread_.load(std::memory_order_relaxed);
    return loop == std::thread::id() || loop == std::this_thread::get_id();
  }
  // Debug builds: aborts unless isThreadSafe(). Compiled out with NDEBUG.
  void assertInLoop() const { assert(isThreadSafe()); }

 private:
  friend class Timer;
  void bindLoopThread();
  void unbindLoopThread();
  void runIteration(int timeout_ms);
  void runPosted() ABSL_LOCKS_EXCLUDED(post_mu_);
  void runTimers();
  void runDeferred();
  void updateNow();
  int nextTimeoutMs() const;

  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  std::atomic<bool> exit_{false};  // an atomic, not post_mu_: run() polls it every iteration
  // The thread inside run() or runOnce(); empty otherwise. Atomic only so that the
  // assertion on a wrong thread reads it without a data race.
  std::atomic<std::thread::id> loop_thread_{};
  int64_t now_ms_ = 0;
  // Armed timers, a binary min-heap on (deadline, arming order).
  static bool timerBefore(const Timer* a, const Timer* b) {
    return a->deadline_ms_ != b->deadline_ms_ ? a->deadline_ms_ < b->deadline_ms_ : a->seq_ < b->seq_;
  }
  void timerPush(Timer* t);
  void timerRemove(Timer* t);
  void timerSiftUp(size_t i);
  void timerSiftDown(size_t i);
  std::vector<Timer*> timers_;
  uint64_t timer_seq_ = 0;
  std::vector<std::function<void()>> deferred_;
  std::vector<std::unique_ptr<DeferredDeletable>> to_delete_;
  // runDeferred's batches (members, so that their capacity is reused).
  std::vector<std::function<void()>> deferred_running_;
  std::vector<std::unique_ptr<DeferredDeletable>> to_delete_running_;
  absl::Mutex post_mu_;
  std::vector<std::function<void()>> posted_ ABSL_GUARDED_BY(post_mu_);
};

}  // namespace strait::event
