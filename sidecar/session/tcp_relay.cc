#include "sidecar/session/tcp_relay.h"

#include "sidecar/upstream/cluster_manager.h"

namespace strait::proxy {

TcpRelay::TcpRelay(WorkerContext& ctx, net::Connection& downstream, SessionControl& control)
    : ctx_(ctx), downstream_(downstream), control_(control) {}

TcpRelay::~TcpRelay() {
  if (upstream_) {
    upstream_->setCallbacks(nullptr);
    upstream_->close(net::Connection::CloseType::kNoFlush);
    ctx_.dispatcher().deferredDelete(std::move(upstream_));
  }
  if (downstream_paused_) downstream_.readDisable(false);
}

bool TcpRelay::start(const net::Address& destination, net::Buffer& first) {
  last_activity_ms_ = ctx_.dispatcher().nowMs();
  auto fd = net::connectTcp(destination);
  if (!fd.ok()) return false;
  attach(*fd, nullptr);
  onDownstreamData(first);
  return true;
}

// The upstream connection (connecting) on `fd`, both sides passing half-closes on.
void TcpRelay::attach(int fd, std::unique_ptr<net::TransportSocket> transport) {
  upstream_ = std::make_unique<net::Connection>(ctx_.dispatcher(), fd, /*connecting=*/true, std::move(transport));
  upstream_->setCallbacks(this);
  upstream_->enableHalfClose();
  downstream_.enableHalfClose();
  WorkerStats::inc(ctx_.stats().downstream_cx_tcp_relay);
}

bool TcpRelay::startToCluster(std::shared_ptr<const ClusterInfo> cluster) {
  last_activity_ms_ = ctx_.dispatcher().nowMs();
  LoadBalancer& lb = ctx_.clusterManager().loadBalancer(cluster);
  int index = lb.pick(LbContext{last_activity_ms_, std::nullopt});
  std::unique_ptr<net::TransportSocket> transport;
  if (index >= 0 && cluster->endpoints[index].tls) transport = cluster->endpoints[index].tls->newTransport();
  absl::StatusOr<int> fd = absl::UnavailableError("no endpoint");
  if (index >= 0 && (transport || !cluster->endpoints[index].tls)) fd = net::connectTcp(cluster->endpoints[index].address);
  if (!fd.ok()) {
    WorkerStats::inc(ctx_.stats().downstream_cx_tcp_relay_failed);
    return false;
  }
  cluster_ = std::move(cluster);
  attach(*fd, std::move(transport));
  return true;
}

void TcpRelay::onDownstreamData(net::Buffer& in) {
  if (in.empty()) return;
  last_activity_ms_ = ctx_.dispatcher().nowMs();
  if (upstream_ && !upstream_closed_) upstream_->write(in.view());
  in.drain(in.size());
}

void TcpRelay::onDownstreamClosed() {
  if (upstream_ && !upstream_closed_) {
    upstream_closed_ = true;
    upstream_->close(net::Connection::CloseType::kFlushWrite);
  }
}

void TcpRelay::onDownstreamReadClosed() {
  last_activity_ms_ = ctx_.dispatcher().nowMs();
  if (upstream_ && !upstream_closed_) upstream_->shutdownWrite();  // after what is queued
}

void TcpRelay::onDownstreamWatermark(bool above) {
  // The client is slow to take what the destination sends: stop reading the destination.
  if (!upstream_ || upstream_closed_ || above == upstream_paused_) return;
  upstream_paused_ = above;
  upstream_->readDisable(above);
}

void TcpRelay::onRead(net::Buffer& in) {
  last_activity_ms_ = ctx_.dispatcher().nowMs();
  downstream_.write(in.view());
  in.drain(in.size());
}

void TcpRelay::onEvent(net::ConnectionEvent event) {
  if (event == net::ConnectionEvent::kConnected) return;
  if (event == net::ConnectionEvent::kReadClosed) {  // the destination is done sending
    last_activity_ms_ = ctx_.dispatcher().nowMs();
    downstream_.shutdownWrite();
    return;
  }
  // The destination closed (or could not be reached): the client gets what was sent, then FIN.
  upstream_closed_ = true;
  control_.closeGracefully();
}

void TcpRelay::onAboveWriteHighWatermark() {
  // The destination is slow to take what the client sends: stop reading the client.
  if (!downstream_paused_) {
    downstream_paused_ = true;
    downstream_.readDisable(true);
  }
}

void TcpRelay::onBelowWriteLowWatermark() {
  if (downstream_paused_) {
    downstream_paused_ = false;
    downstream_.readDisable(false);
  }
}

}  // namespace strait::proxy
