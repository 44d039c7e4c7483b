// HTTP/2 to upstream endpoints: per worker and endpoint, a few multiplexed connections.
// A connection takes new streams while it has fewer than the peer's
// SETTINGS_MAX_CONCURRENT_STREAMS; when all are full another is opened (up to the cluster's
// connection limit). GOAWAY drains a connection: no new streams, in-flight ones finish, and
// streams the server never processed (id above the GOAWAY's last-stream-id, or
// REFUSED_STREAM) are reported as retryable, so the router sends them again on a new
// connection.
// THREADS: the owning worker only. OWNERSHIP: the pool owns its connections; a stream handle
// (H2UpstreamStream) belongs to its ProxyStream and is invalidated (onUpstreamReset) when
// its connection dies.
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
#include "sidecar/proxy/host_state.h"
#include "sidecar/proxy/stats.h"
#include "sidecar/tls/client_context.h"

namespace strait::proxy {

// Events of one upstream stream (implemented by ProxyStream).
class H2UpstreamCallbacks {
 public:
  virtual ~H2UpstreamCallbacks() = default;
  virtual void onUpstreamHead(http::ResponseHead&& head, bool end_stream) = 0;
  virtual void onUpstreamData(const char* data, size_t len) = 0;
  virtual void onUpstreamTrailers(http::HeaderMap&& trailers) = 0;
  virtual void onUpstreamEnd() = 0;
  // The stream failed. `retryable`: the server certainly did not process it.
  virtual void onUpstreamReset(bool retryable, std::string_view reason) = 0;
  // The request body queued for this stream fell below the low mark.
  virtual void onUpstreamRequestDrained() = 0;
};

class H2UpstreamConnection;

// A handle on one stream; valid until the stream ends or onUpstreamReset ran.
struct H2UpstreamStream {
  H2UpstreamConnection* conn = nullptr;
  int32_t id = 0;
  void sendData(const char* data, size_t len);
  void end(const http::HeaderMap* trailers);
  void consume(size_t len);
  size_t queued() const;
  // Cancels the stream (RST_STREAM CANCEL); no callbacks follow.
  void cancel();
};

class H2UpstreamPool {
 public:
  // `tls` (nullptr: h2c) makes every connection TLS, negotiating h2 by ALPN.
  // `cluster` counts this pool's open connections (the cluster's max_connections).
  H2UpstreamPool(event::Dispatcher& dispatcher, net::Address address, WorkerStats& stats,
                 std::shared_ptr<const tls::ClientContext> tls, ClusterStatePtr cluster);
  ~H2UpstreamPool();

  // Opens a stream for `head` on a connection with room (or a new one). False when no
  // connection can be had (socket failure or `max_connections` reached).
  bool newStream(const http::RequestHead& head, bool end_stream, H2UpstreamCallbacks* cb,
                 uint32_t max_connections, H2UpstreamStream* out);
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
