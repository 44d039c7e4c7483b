// A downstream connection relayed as bytes: to its original destination, what an
// interception listener (use_original_dst, passthrough_tcp) receives that is not HTTP (TLS
// the app originates, a database protocol), or to an endpoint of a mesh service's cluster
// (Listener.tcp_clusters: a connection to the service's address), with the cluster's TLS.
// The sidecar parses none of it.
// BACKPRESSURE: each side's reads pause while the other side's write buffer is above its
// high watermark. HALF-CLOSE: a side that ends its sending direction (FIN, or TLS
// close_notify) has it passed on to the other side once its bytes are written, and the
// other direction goes on (a client that sends a request, shuts down writing and reads the
// answer is served). CLOSE: when either side closes or resets (or the connect fails) the
// other is closed after its pending bytes are written.
// THREADS: the worker's thread. OWNERSHIP: owned by the DownstreamSession whose connection
// it relays; the upstream connection is its own.
#pragma once

#include <cstdint>
#include <memory>

#include "sidecar/core/worker_context.h"
#include "sidecar/net/address.h"
#include "sidecar/net/connection.h"
#include "sidecar/session/h2_downstream.h"
#include "sidecar/upstream/cluster_info.h"

namespace strait::proxy {

class TcpRelay final : public net::ConnectionCallbacks {
 public:
  TcpRelay(WorkerContext& ctx, net::Connection& downstream, SessionControl& control);
  ~TcpRelay() override;

  // Connects to `destination`; false if no socket could be made (the caller closes). The
  // bytes already read from the client go first.
  bool start(const net::Address& destination, net::Buffer& first);
  // Connects to an endpoint of `cluster` chosen by its load balancer, over the cluster's
  // TLS if it has one; false if none is available or no socket could be made
  // (strait_downstream_cx_tcp_relay_failed_total; the caller closes).
  bool startToCluster(std::shared_ptr<const ClusterInfo> cluster);
  // The session's downstream events.
  void onDownstreamData(net::Buffer& in);
  void onDownstreamClosed();
  void onDownstreamReadClosed();  // the client's half-close
  void onDownstreamWatermark(bool above);
  int64_t lastActivityMs() const { return last_activity_ms_; }

  // net::ConnectionCallbacks (the upstream connection)
  void onRead(net::Buffer& in) override;
  void onEvent(net::ConnectionEvent event) override;
  void onAboveWriteHighWatermark() override;
  void onBelowWriteLowWatermark() override;

 private:
  void attach(int fd, std::unique_ptr<net::TransportSocket> transport);

  WorkerContext& ctx_;
  net::Connection& downstream_;
  SessionControl& control_;
  std::unique_ptr<net::Connection> upstream_;
  std::shared_ptr<const ClusterInfo> cluster_;  // startToCluster: keeps its TLS context alive
  int64_t last_activity_ms_ = 0;
  bool upstream_closed_ = false;
  bool downstream_paused_ = false;  // our readDisable on the downstream connection
  bool upstream_paused_ = false;
};

}  // namespace strait::proxy
