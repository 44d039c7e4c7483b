#include "sidecar/server/overload_monitor.h"

#include <google/protobuf/util/time_util.h>
#include <pthread.h>
#include <unistd.h>

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

// jemalloc's control interface, when the binary links jemalloc (strait-sidecar does, except
// under the sanitizers): weak, so that the library links without it and falls back to RSS.
extern "C" int mallctl(const char* name, void* oldp, size_t* oldlenp, void* newp, size_t newlen)
    __attribute__((weak));

namespace strait::server {
namespace {
using google::protobuf::util::TimeUtil;
using proxy::OverloadState;

uint64_t residentBytes() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  unsigned long size = 0, resident = 0;
  int n = std::fscanf(f, "%lu %lu", &size, &resident);
  std::fclose(f);
  return n == 2 ? static_cast<uint64_t>(resident) * static_cast<uint64_t>(sysconf(_SC_PAGESIZE)) : 0;
}

}  // namespace

bool nextOverloadState(bool over, uint64_t value, uint64_t high, uint64_t low) {
  if (high == 0) return false;
  return over ? value >= low : value >= high;
}

uint64_t sampleMemoryBytes() {
  if (mallctl != nullptr) {
    uint64_t epoch = 1;
    size_t len = sizeof(epoch);
    mallctl("epoch", &epoch, &len, &epoch, len);  // refreshes jemalloc's statistics
    size_t allocated = 0;
    len = sizeof(allocated);
    if (mallctl("stats.allocated", &allocated, &len, nullptr, 0) == 0) return allocated;
  }
  return residentBytes();
}

absl::Status validateOverload(const strait::v1::OverloadManager& c) {
  auto check = [](const char* name, const strait::v1::Watermark& w) -> absl::Status {
    if (w.high() == 0 && w.low() != 0) {
      return absl::InvalidArgumentError(absl::StrCat("overload_manager.", name, ": low without high"));
    }
    if (w.low() > w.high()) {
      return absl::InvalidArgumentError(absl::StrCat("overload_manager.", name, ": low must be at most high"));
    }
    return absl::OkStatus();
  };
  if (auto s = check("memory_bytes", c.memory_bytes()); !s.ok()) return s;
  if (auto s = check("downstream_connections", c.downstream_connections()); !s.ok()) return s;
  if (auto s = check("active_requests", c.active_requests()); !s.ok()) return s;
  if (c.has_refresh_interval()) {
    int64_t ms = TimeUtil::DurationToMilliseconds(c.refresh_interval());
    if (ms < 10 || ms > 10000 || c.refresh_interval().seconds() < 0 || c.refresh_interval().nanos() < 0) {
      return absl::InvalidArgumentError("overload_manager.refresh_interval: must be 10ms to 10s");
    }
  }
  return absl::OkStatus();
}

OverloadMonitor::OverloadMonitor(const strait::v1::OverloadManager& config, Sources sources,
                                 proxy::OverloadState& state)
    : config_(config), sources_(std::move(sources)), state_(state) {
  const strait::v1::Watermark* marks[] = {&config_.memory_bytes(), &config_.downstream_connections(),
                                          &config_.active_requests()};
  for (int r = 0; r < OverloadState::kResourceCount; r++) {
    bounds_[r].high = marks[r]->high();
    bounds_[r].low = marks[r]->low() != 0 ? marks[r]->low() : marks[r]->high() - marks[r]->high() / 10;
    if (bounds_[r].high != 0) state_.setConfigured(static_cast<OverloadState::Resource>(r));
  }
  if (config_.has_refresh_interval()) refresh_ms_ = TimeUtil::DurationToMilliseconds(config_.refresh_interval());
}

OverloadMonitor::~OverloadMonitor() { stop(); }

void OverloadMonitor::sampleOnce() {
  for (int r = 0; r < OverloadState::kResourceCount; r++) {
    const Bound& b = bounds_[r];
    if (b.high == 0) continue;
    auto resource = static_cast<OverloadState::Resource>(r);
    uint64_t value = 0;
    if (resource == OverloadState::kMemory) value = sampleMemoryBytes();
    if (resource == OverloadState::kConnections && sources_.connections) value = sources_.connections();
    if (resource == OverloadState::kRequests && sources_.requests) value = sources_.requests();
    state_.set(resource, nextOverloadState(state_.over(resource), value, b.high, b.low), value);
  }
}

void OverloadMonitor::start() {
  sampleOnce();  // the state is right before the first connection
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "strait-overload");
    while (!stop_.WaitForNotificationWithTimeout(absl::Milliseconds(refresh_ms_))) sampleOnce();
  });
}

void OverloadMonitor::stop() {
  if (!thread_.joinable()) return;
  stop_.Notify();
  thread_.join();
}

}  // namespace strait::server
