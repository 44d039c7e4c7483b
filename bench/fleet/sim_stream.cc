// A simulated sidecar's ADS stream (see sim_stream.h).
#include "bench/fleet/sim_stream.h"

#include <utility>

#include "xds/subscription.h"

namespace strait::bench {
namespace {

// The method's name must outlive every call (gRPC keeps the pointer).
constexpr char kMethod[] = "/strait.v1.AggregatedDiscoveryService/StreamAggregatedResources";

}  // namespace

SimStream::SimStream(FleetStats* stats, int index, strait::v1::Node node, Clock::time_point deadline)
    : stats_(stats), index_(index), node_(std::move(node)) {
  // gRPC takes deadlines on the system clock only.
  context_.set_deadline(std::chrono::system_clock::now() + (deadline - Clock::now()));
}

void SimStream::start(AdsStub* stub) {
  stub->PrepareBidiStreamingCall(&context_, kMethod, grpc::StubOptions(), this);
  Out first;
  *first.request.mutable_node() = node_;
  first.request.set_type_url(xds::kGenerationTypeUrl);
  enqueue(std::move(first));
  StartRead(&response_);
  StartCall();
}

void SimStream::drain() {
  Out out;
  *out.request.mutable_node() = node_;
  out.request.set_type_url(xds::kGenerationTypeUrl);
  out.request.set_draining(true);
  enqueue(std::move(out));
}

void SimStream::enqueue(Out out) {
  absl::MutexLock lock(&mu_);
  if (write_failed_) return;
  queue_.push_back(std::move(out));
  if (!writing_) startNext();
}

void SimStream::startNext() {
  if (queue_.empty()) return;
  in_flight_ = std::move(queue_.front());
  queue_.pop_front();
  writing_ = true;
  if (in_flight_.writes_done) {
    StartWritesDone();
  } else {
    StartWrite(&in_flight_.request);
  }
}

void SimStream::OnReadDone(bool ok) {
  if (!ok) return;  // the stream ended; OnDone follows
  size_t bytes = response_.ByteSizeLong();
  Out out;
  if (response_.endpoint_withdrawn()) {
    stats_->withdrawn(index_, bytes);
    out.writes_done = true;  // drained: close, as a sidecar does before it exits
    closing_.store(true, std::memory_order_release);
  } else {
    stats_->received(index_, response_.version_info(), bytes, !response_.delta().empty());
    out.request.set_type_url(xds::kGenerationTypeUrl);
    out.request.set_version_info(response_.version_info());
    out.request.set_response_nonce(response_.nonce());
  }
  StartRead(&response_);
  enqueue(std::move(out));
}

void SimStream::wrote(const strait::v1::DiscoveryRequest& request) {
  if (request.draining()) {
    stats_->endpointChanged();
    return;
  }
  if (request.response_nonce().empty()) return;  // the first request
  stats_->acked(index_, request.version_info());
}

void SimStream::OnWriteDone(bool ok) {
  absl::MutexLock lock(&mu_);
  writing_ = false;
  if (!ok) {  // the stream is broken; OnDone follows
    write_failed_ = true;
    queue_.clear();
    return;
  }
  wrote(in_flight_.request);
  // A churn workload becomes an endpoint at its first ACK (MeshState::workloadUp).
  if (first_ack_ && !in_flight_.request.response_nonce().empty()) {
    first_ack_ = false;
    if (!node_.workload().address().empty()) stats_->endpointChanged();
  }
  startNext();
}

void SimStream::OnWritesDoneDone(bool) {
  absl::MutexLock lock(&mu_);
  writing_ = false;
  queue_.clear();
}

void SimStream::OnDone(const grpc::Status& status) {
  bool ok = status.ok() || cancelled_.load(std::memory_order_acquire) || closing_.load(std::memory_order_acquire);
  stats_->ended(index_, ok ? grpc::Status::OK : status);
  done_.store(true, std::memory_order_release);
}

}  // namespace strait::bench
