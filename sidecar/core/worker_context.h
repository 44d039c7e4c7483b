// What a downstream session or proxy stream needs from the worker it runs on.
// THREADS: the worker's own thread only.
#pragma once

#include <cstdint>
#include <random>
#include <string>

#include "sidecar/event/dispatcher.h"
#include "sidecar/upstream/cluster_manager.h"
#include "sidecar/core/snapshot.h"
#include "sidecar/core/worker_stats.h"

namespace strait::proxy {

class WorkerContext {
 public:
  virtual ~WorkerContext() = default;
  virtual event::Dispatcher& dispatcher() = 0;
  // The generation live on this worker now; a new request pins it.
  virtual const SnapshotPtr& snapshot() const = 0;
  virtual ClusterManager& clusterManager() = 0;
  virtual WorkerStats& stats() = 0;
  // A fresh UUIDv4-formatted request id.
  virtual std::string newRequestId() = 0;
  // Uniform random 64-bit value (weighted cluster choice).
  virtual uint64_t random() = 0;
};

}  // namespace strait::proxy
