// One event loop (epoll) per thread: file events, timers, cross-thread posts, and deferred
// work (flushes, deletions) run after each batch of events.
//
// THREADS: run(), addFd/modifyFd/removeFd, Timer and deferred* may only be used on the
// dispatcher's own thread (asserted in debug builds). post() and exit() may be called from
// any thread; that is the only way other threads talk to a dispatcher.
#pragma once

#include <sys/epoll.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"

namespace strait::event {

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

// A one-shot timer owned by its user; destroying it cancels it.
class Timer {
 public:
  Timer(Dispatcher& dispatcher, std::function<void()> cb);
  ~Timer();
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  void enableMs(int64_t ms);  // (re)arms; fires once after `ms` milliseconds
  void disable();
  bool enabled() const { return armed_; }

 private:
  friend class Dispatcher;
  Dispatcher& dispatcher_;
  std::function<void()> cb_;
  bool armed_ = false;
  std::multimap<int64_t, Timer*>::iterator pos_;
};

class Dispatcher {
 public:
  Dispatcher();
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  // Runs until exit(); binds the dispatcher to the calling thread.
  void run();
  // Any thread: stop run() after the current iteration.
  void exit();
  // Any thread: run `task` on the dispatcher's thread soon.
  void post(std::function<void()> task);

  // Dispatcher thread only.
  void addFd(int fd, uint32_t events, IoHandler* handler);
  void modifyFd(int fd, uint32_t events, IoHandler* handler);
  void removeFd(int fd);
  // `fn` runs once after the current batch of events (used to coalesce writes).
  void deferred(std::function<void()> fn) { deferred_.push_back(std::move(fn)); }
  void deferredDelete(std::unique_ptr<DeferredDeletable> obj) { to_delete_.push_back(std::move(obj)); }
  // Monotonic milliseconds, cached per loop iteration.
  int64_t nowMs() const { return now_ms_; }
  bool isThisThread() const { return std::this_thread::get_id() == thread_id_; }

 private:
  friend class Timer;
  void runPosted();
  void runTimers();
  void runDeferred();
  void updateNow();
  int nextTimeoutMs() const;

  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  std::atomic<bool> exit_{false};
  std::thread::id thread_id_;
  int64_t now_ms_ = 0;
  std::multimap<int64_t, Timer*> timers_;
  std::vector<std::function<void()>> deferred_;
  std::vector<std::unique_ptr<DeferredDeletable>> to_delete_;
  std::mutex post_mu_;
  std::vector<std::function<void()>> posted_ ABSL_GUARDED_BY(post_mu_);
};

}  // namespace strait::event
