// One simulated sidecar: an AggregatedDiscoveryService stream on gRPC's callback API that
// ACKs every response as soon as it arrives (a real sidecar ACKs once the generation is live;
// the simulator measures the control plane, not the apply). A churn workload (its node has a
// workload address) additionally reports draining on drain() and closes once the control
// plane answers endpoint_withdrawn.
// LIFE: start() once; the object must outlive gRPC's OnDone (done() is true after it). The
// owner cancels with cancel() and waits for done() before destroying it.
// THREADS: start(), drain(), cancel() and done() from any thread; gRPC's callback threads run
// the reactor methods. The write queue is guarded by mu_ (reads and writes complete on
// different threads).
#pragma once

#include <atomic>
#include <deque>
#include <string>

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/codegen/proto_utils.h>  // SerializationTraits of any protobuf message

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "bench/fleet/fleet_stats.h"
#include "sim_response.pb.h"  // generated in the build folder
#include "strait/v1/discovery.pb.h"

namespace strait::bench {

using AdsStub = grpc::TemplatedGenericStub<strait::v1::DiscoveryRequest, SimDiscoveryResponse>;

class SimStream final : public grpc::ClientBidiReactor<strait::v1::DiscoveryRequest, SimDiscoveryResponse> {
 public:
  // `index`: the measured sidecar's index in `stats`, or -1 for a churn workload.
  SimStream(FleetStats* stats, int index, strait::v1::Node node, Clock::time_point deadline);

  void start(AdsStub* stub);
  // Churn workloads: report draining; the stream closes when endpoint_withdrawn arrives.
  void drain() ABSL_LOCKS_EXCLUDED(mu_);
  void cancel() {
    cancelled_.store(true, std::memory_order_release);
    context_.TryCancel();
  }
  bool done() const { return done_.load(std::memory_order_acquire); }

  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnWritesDoneDone(bool ok) override;
  void OnDone(const grpc::Status& status) override;

 private:
  // What goes out, in order; one write in flight at a time.
  struct Out {
    strait::v1::DiscoveryRequest request;
    bool writes_done = false;  // half-close instead of a request
  };
  void enqueue(Out out) ABSL_LOCKS_EXCLUDED(mu_);
  void startNext() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void wrote(const strait::v1::DiscoveryRequest& request);

  FleetStats* const stats_;
  const int index_;
  const strait::v1::Node node_;
  grpc::ClientContext context_;
  SimDiscoveryResponse response_;  // the read in progress
  std::atomic<bool> done_{false};
  std::atomic<bool> cancelled_{false};  // by cancel(): the end of the run, not a failure
  // Told endpoint_withdrawn and half-closed: how the server ends the stream is no failure
  // (strait-control cancels it once it stops writing).
  std::atomic<bool> closing_{false};

  absl::Mutex mu_;
  std::deque<Out> queue_ ABSL_GUARDED_BY(mu_);
  Out in_flight_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool write_failed_ ABSL_GUARDED_BY(mu_) = false;
  bool first_ack_ ABSL_GUARDED_BY(mu_) = true;  // churn: the first ACK makes it an endpoint
};

}  // namespace strait::bench
