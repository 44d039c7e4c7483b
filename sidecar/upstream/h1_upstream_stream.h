// An HTTP/1.1 exchange on one connection of an H1Pool: encodes the request (re-chunking the
// body when its framing is chunked), parses the response, and hands the connection back to
// the pool when the exchange ended cleanly (response complete, request wholly sent, both
// sides keep-alive, endpoint still configured, nothing left over) or closes it.
// A reused idle connection that fails before any response byte arrived is reported as
// kNotProcessed: the upstream had closed it (keep-alive race), the request never reached it.
// THREADS: the worker's. OWNERSHIP: made by H1Pool::newStream, owned by the caller; holds
// the connection until the exchange ends (see upstream_stream.h for the contract).
#pragma once

#include <cstdint>
#include <memory>

#include "sidecar/http/h1_codec.h"
#include "sidecar/net/connection.h"
#include "sidecar/upstream/upstream_stream.h"

namespace strait::proxy {

class H1Pool;

class H1UpstreamStream final : public UpstreamStream,
                               public net::ConnectionCallbacks,
                               public http::CodecCallbacks {
 public:
  // `conn` is connecting unless `reused`. Writes the request head at once.
  H1UpstreamStream(H1Pool& pool, std::unique_ptr<net::Connection> conn, bool reused,
                   const UpstreamPool::Request& request, UpstreamStreamCallbacks& callbacks);
  ~H1UpstreamStream() override;

  // UpstreamStream
  void sendBody(const char* data, size_t len) override;
  void end(const http::HeaderMap* trailers) override;
  void readDisable(bool disable) override;
  bool connecting() const override { return conn_ && conn_->connecting(); }
  void cancel() override;

  // net::ConnectionCallbacks
  void onRead(net::Buffer& in) override;
  void onEvent(net::ConnectionEvent event) override;
  void onAboveWriteHighWatermark() override;
  void onBelowWriteLowWatermark() override;

  // http::CodecCallbacks (the response parser)
  void onResponseHead(http::StreamId id, http::ResponseHead&& head, http::BodyFraming framing,
                      uint64_t length) override;
  void onBody(http::StreamId id, const char* data, size_t len) override;
  void onTrailers(http::StreamId id, http::HeaderMap&& trailers) override;
  void onMessageComplete(http::StreamId id) override;
  void onError(http::StreamId id, const http::ParseError& error) override;

 private:
  // Gives the connection back to the pool (`reusable`) or closes it.
  void releaseConnection(bool reusable);
  void failed(const UpstreamFailure& failure);

  H1Pool& pool_;
  std::unique_ptr<net::Connection> conn_;
  UpstreamStreamCallbacks* callbacks_;  // null once cancelled or failed
  http::H1Parser parser_;
  http::BodyFraming framing_;           // the request body's
  bool reused_;                         // taken from the idle pool
  int64_t idle_timeout_ms_;             // the cluster's, for the connection back in the pool
  bool request_ended_ = false;
  bool response_complete_ = false;
  bool keep_alive_ = true;              // the response's
  bool read_disabled_ = false;
};

}  // namespace strait::proxy
