#include "sidecar/event/dispatcher.h"

#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <cstdio>
#include <cstdlib>

namespace strait::event {
int64_t monotonicMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

namespace {

// The wake-up eventfd is registered with this sentinel handler pointer.
IoHandler* const kWakeHandler = nullptr;

}  // namespace

Timer::Timer(Dispatcher& dispatcher, std::function<void()> cb)
    : dispatcher_(dispatcher), cb_(std::move(cb)) {}

Timer::~Timer() { disable(); }

void Timer::enableMs(int64_t ms) {
  dispatcher_.assertInLoop();
  disable();
  deadline_ms_ = dispatcher_.now_ms_ + ms;
  seq_ = dispatcher_.timer_seq_++;
  dispatcher_.timerPush(this);
  armed_ = true;
}

void Timer::disable() {
  dispatcher_.assertInLoop();
  if (!armed_) return;
  dispatcher_.timerRemove(this);
  armed_ = false;
}

void Dispatcher::timerPush(Timer* t) {
  t->heap_index_ = timers_.size();
  timers_.push_back(t);
  timerSiftUp(t->heap_index_);
}

void Dispatcher::timerRemove(Timer* t) {
  size_t i = t->heap_index_;
  Timer* last = timers_.back();
  timers_.pop_back();
  if (last == t) return;
  timers_[i] = last;
  last->heap_index_ = i;
  timerSiftUp(i);
  timerSiftDown(last->heap_index_);
}

void Dispatcher::timerSiftUp(size_t i) {
  Timer* t = timers_[i];
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (!timerBefore(t, timers_[parent])) break;
    timers_[i] = timers_[parent];
    timers_[i]->heap_index_ = i;
    i = parent;
  }
  timers_[i] = t;
  t->heap_index_ = i;
}

void Dispatcher::timerSiftDown(size_t i) {
  Timer* t = timers_[i];
  size_t n = timers_.size();
  for (;;) {
    size_t child = 2 * i + 1;
    if (child >= n) break;
    if (child + 1 < n && timerBefore(timers_[child + 1], timers_[child])) child++;
    if (!timerBefore(timers_[child], t)) break;
    timers_[i] = timers_[child];
    timers_[i]->heap_index_ = i;
    i = child;
  }
  timers_[i] = t;
  t->heap_index_ = i;
}

Dispatcher::Dispatcher() {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (epoll_fd_ < 0 || wake_fd_ < 0) {
    perror("strait: epoll/eventfd");
    abort();  // no way to run without them: resource exhaustion at start-up
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = kWakeHandler;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev);
  now_ms_ = monotonicMs();
}

Dispatcher::~Dispatcher() {
  runDeferred();
  close(wake_fd_);
  close(epoll_fd_);
}

void Dispatcher::exit() {
  exit_.store(true);
  uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof(one));
}

void Dispatcher::post(std::function<void()> task) {
  {
    absl::MutexLock lock(&post_mu_);
    posted_.push_back(std::move(task));
  }
  uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof(one));
}

void Dispatcher::addFd(int fd, uint32_t events, IoHandler* handler) {
  assertInLoop();
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = handler;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
}

void Dispatcher::modifyFd(int fd, uint32_t events, IoHandler* handler) {
  assertInLoop();
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = handler;
  epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev);
}

void Dispatcher::removeFd(int fd) {
  assertInLoop();
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
}

void Dispatcher::updateNow() { now_ms_ = monotonicMs(); }

int Dispatcher::nextTimeoutMs() const {
  if (!deferred_.empty()) return 0;
  if (timers_.empty()) return -1;
  int64_t delta = timers_.front()->deadline_ms_ - monotonicMs();
  if (delta < 0) return 0;
  return delta > 60000 ? 60000 : static_cast<int>(delta);
}

void Dispatcher::runPosted() {
  std::vector<std::function<void()>> tasks;
  {
    absl::MutexLock lock(&post_mu_);
    tasks.swap(posted_);
  }
  for (auto& t : tasks) t();
}

void Dispatcher::runTimers() {
  updateNow();
  while (!timers_.empty() && timers_.front()->deadline_ms_ <= now_ms_) {
    Timer* t = timers_.front();
    timerRemove(t);
    t->armed_ = false;
    t->cb_();  // may destroy or re-arm t
  }
}

void Dispatcher::runDeferred() {
  // Deferred work may schedule more deferred work, and a destructor may defer the deletion
  // of what it owned: run both until quiescent.
  // The spare vectors keep their capacity from batch to batch (no allocation per batch).
  while (!deferred_.empty() || !to_delete_.empty()) {
    deferred_running_.swap(deferred_);
    for (auto& fn : deferred_running_) fn();
    deferred_running_.clear();
    to_delete_running_.swap(to_delete_);
    to_delete_running_.clear();
  }
}

// The loop belongs to the calling thread while run() or runOnce() runs; set-up calls made
// before (from the thread that built the objects) are allowed, and so is teardown after.
void Dispatcher::bindLoopThread() {
  std::thread::id unbound;
  bool bound = loop_thread_.compare_exchange_strong(unbound, std::this_thread::get_id());
  assert(bound && "Dispatcher run while it already runs on another thread");
  (void)bound;
}

void Dispatcher::unbindLoopThread() { loop_thread_.store(std::thread::id()); }

void Dispatcher::run() {
  bindLoopThread();
  while (!exit_.load(std::memory_order_relaxed)) runIteration(nextTimeoutMs());
  runPosted();
  runDeferred();
  unbindLoopThread();
}

void Dispatcher::runOnce(int max_wait_ms) {
  bindLoopThread();
  int timeout = nextTimeoutMs();
  runIteration(timeout < 0 ? max_wait_ms : std::min(timeout, max_wait_ms));
  unbindLoopThread();
}

void Dispatcher::runIteration(int timeout_ms) {
  constexpr int kMaxEvents = 256;
  epoll_event events[kMaxEvents];
  int n = epoll_wait(epoll_fd_, events, kMaxEvents, timeout_ms);
  updateNow();
  for (int i = 0; i < n; i++) {
    auto* handler = static_cast<IoHandler*>(events[i].data.ptr);
    if (handler == kWakeHandler) {
      uint64_t v;
      (void)!read(wake_fd_, &v, sizeof(v));
      runPosted();
    } else {
      handler->onIoEvent(events[i].events);
    }
  }
  runDeferred();
  runTimers();
  runDeferred();
}

}  // namespace strait::event
