// HTTP/2 to upstream endpoints: per worker and endpoint, a few multiplexed connections.
// A connection takes new streams while it has fewer than the peer's
// SETTINGS_MAX_CONCURRENT_STREAMS; when all are full another is opened (up to the cluster's
// connection limit). GOAWAY drains a connection: no new streams, in-flight ones finish, and
// streams the server never processed (id above the GOAWAY's last-stream-id, or
// REFUSED_STREAM) are reported as retryable, so the router sends them again on a new
// connection.
// Each stream is an UpstreamStream (see upstream_stream.h): response DATA is acknowledged
// (WINDOW_UPDATE) as it is delivered, or later while the owner has paused reading, so a slow
// downstream closes the upstream's window instead of filling memory.
// THREADS: the owning worker only. OWNERSHIP: the pool owns its connections; a stream belongs
// to its owner and is detached from its connection (onUpstreamFailure) when that dies.
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "sidecar/event/dispatcher.h"
#include "sidecar/http/h2_client_codec.h"
#include "sidecar/net/address.h"
#include "sidecar/net/connection.h"
#include "sidecar/upstream/host_state.h"
#include "sidecar/core/worker_stats.h"
#include "sidecar/tls/client_context.h"
#include "sidecar/upstream/upstream_stream.h"

namespace strait::proxy {

class H2UpstreamConnection;

class H2Pool final : public UpstreamPool {
 public:
  // `tls` (nullptr: h2c) makes every connection TLS, negotiating h2 by ALPN.
  // `cluster` counts this pool's open connections (the cluster's max_connections).
  H2Pool(event::Dispatcher& dispatcher, net::Address address, WorkerStats& stats,
                 std::shared_ptr<const tls::ClientContext> tls, ClusterStatePtr cluster);
  ~H2Pool() override;

  // UpstreamPool: a stream for the request on a connection with room, or on a new one
  // within the cluster's max_connections.
  Result newStream(const Request& request, UpstreamStreamCallbacks& callbacks,
                   std::unique_ptr<UpstreamStream>* out) override;
  size_t connections() const { return conns_.size(); }
  void onConnectionDone(H2UpstreamConnection* conn);  // called by a connection that closed

 private:
  event::Dispatcher& dispatcher_;
  net::Address address_;
  WorkerStats& stats_;
  std::shared_ptr<const tls::ClientContext> tls_;
  ClusterStatePtr cluster_;
  std::list<std::unique_ptr<H2UpstreamConnection>> conns_;
};

}  // namespace strait::proxy
