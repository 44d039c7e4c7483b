// The connection manager for one accepted connection. The first bytes decide the protocol:
// the HTTP/2 preface hands the connection to H2Downstream (h2c, prior knowledge); anything
// else is HTTP/1.1, handled here: parses requests, pins the
// worker's live snapshot per request, routes, runs a RouterStream, and encodes the response.
// One request at a time: pipelined requests wait in the input buffer (reads pause) until
// the previous response is complete. Strict parse errors answer 400/413/414/431/501/505
// and close the connection; nothing ambiguous is forwarded.
// THREADS: the worker's thread. OWNERSHIP: owned by the worker's session list; it asks the
// worker to delete it (deferred) once the connection is closed.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "sidecar/event/dispatcher.h"
#include "sidecar/http/h1_codec.h"
#include "sidecar/net/connection.h"
#include "sidecar/session/h2_downstream.h"
#include "sidecar/session/tcp_relay.h"
#include "sidecar/router/router_stream.h"
#include "sidecar/core/worker_context.h"

namespace strait::proxy {

class DownstreamSession;

// Told when a session's connection has closed (the owner then deletes the session, deferred).
// An interface pointer rather than a std::function: every idle connection carries it.
class SessionOwner {
 public:
  virtual void onSessionClosed(DownstreamSession* session) = 0;

 protected:
  ~SessionOwner() = default;
};

class DownstreamSession final : public net::ConnectionCallbacks,
                                public http::CodecCallbacks,
                                public http::StreamSink,
                                public SessionControl,
                                public event::DeferredDeletable {
 public:
  // `transport` (TLS on TLS listeners) wraps the accepted fd; nullptr is plaintext.
  // `original_dst`: where the client meant to connect (intercepted connections), or null.
  DownstreamSession(WorkerContext& ctx, int fd, std::string peer_ip, std::string listener_name,
                    SessionOwner& owner, std::unique_ptr<net::TransportSocket> transport = nullptr,
                    std::unique_ptr<net::Address> original_dst = nullptr);
  ~DownstreamSession() override;

  const std::string& listenerName() const { return listener_name_; }
  const std::string& peerIp() const { return peer_ip_; }
  // Bytes of a request head arrived and the head is not complete yet.
  bool headStarted() const { return head_started_; }
  // Right after the owner holds the session (it may close it): a connection to a service
  // address of the listener's tcp_clusters, or to one of its tcp_ports, is relayed from here
  // on.
  void onAccepted();
  // The listener went away: close now if idle, else after the current response.
  void drain();
  // SessionControl. A lingering close (nginx's lingering_close, Envoy's delayed close):
  // what is queued is sent, then FIN, and whatever the client still sends is read and
  // dropped until it closes too, or kLingerMs pass. Closing at once with unread input
  // would send RST, which can destroy the last responses (or an HTTP/2 GOAWAY) before the
  // client reads them: the requests in flight would be lost instead of answered or retried.
  void closeGracefully() override;
  static constexpr int64_t kLingerMs = 2000;
  // SessionControl: HTTP/2's connection-wide bound was reached (as onAboveWriteHighWatermark).
  void onOutputBackedUp() override { watchOutput(); }

  // net::ConnectionCallbacks
  void onRead(net::Buffer& in) override;
  void onEvent(net::ConnectionEvent event) override;
  void onAboveWriteHighWatermark() override;
  void onBelowWriteLowWatermark() override;
  void onServerHandshake(bool ok, const std::string& failure) override;

  // http::CodecCallbacks (the HTTP/1.1 request parser)
  void onRequestHead(http::StreamId id, http::RequestHead&& head, http::BodyFraming framing, uint64_t length) override;
  void onBody(http::StreamId id, const char* data, size_t len) override;
  void onTrailers(http::StreamId id, http::HeaderMap&& trailers) override;
  void onMessageComplete(http::StreamId id) override;
  void onError(http::StreamId id, const http::ParseError& error) override;

  // StreamSink
  void sendHeaders(http::ResponseHead&& head, http::BodyFraming framing, uint64_t length) override;
  void sendInterim(const http::ResponseHead& head) override;
  void sendBody(const char* data, size_t len) override;
  void sendComplete(const http::HeaderMap* trailers) override;
  void sendLocalReply(int status, std::string_view details) override;
  void resetDownstream() override;
  void readDisableDownstream(bool disable) override;

 private:
  void parseInput();
  bool detectProtocol(net::Buffer& in);
  void onTimer();
  // The live listener's idle and request-head timeouts (its defaults if it is gone): read
  // when needed rather than kept, so that the session keeps to its allocator size class.
  int64_t idleTimeoutMs() const;
  int64_t headTimeoutMs() const;
  void onHeadTimeout();
  void armHeadTimer();
  void armAt(int64_t deadline_ms);
  // Slow clients (send_timeout, request_body_min_rate): see SlowClientWatch.
  struct SlowClientWatch;
  SlowClientWatch& watch();
  void watchOutput();
  void watchBody();
  bool checkSlowClient(int64_t now, int64_t* next);
  bool outputBackedUp() const;
  bool awaitingBody() const;
  size_t pendingOutput() const;
  void startBodyWindow(int64_t now);
  void onSlowBody();
  void onResponseDone();
  void finishExchange();
  void closeConnection(net::Connection::CloseType type);
  void countResponse(int status);
  // Body bytes of the current request are still to come from the client.
  bool requestBodyPending() const { return !request_complete_ && !request_bodyless_; }

  WorkerContext& ctx_;
  std::unique_ptr<net::Connection> conn_;
  std::string peer_ip_;
  std::string listener_name_;
  SessionOwner& owner_;
  std::unique_ptr<http::H1Parser> parser_;  // only while a request is being read or served
  std::unique_ptr<RouterStream> stream_;
  std::unique_ptr<H2Downstream> h2_;  // set when the connection speaks HTTP/2
  event::Timer idle_timer_;
  // Both from the listener; int32 keeps the session in its allocator size class.
  // Intercepted connections only (a use_original_dst listener): the original destination,
  // and the relay when the connection is not HTTP.
  struct Interception;
  std::unique_ptr<Interception> intercept_;
  const net::Address* originalDst() const;
  bool startRelay(net::Buffer& in);
  // End of the last exchange (the idle timeout is lazy); while head_started_, the time the
  // request's first byte arrived.
  int64_t last_activity_ms_ = 0;
  // Allocated only while a client is slow (its output backed up, or a request body still
  // arriving after a read): an idle connection does not pay for it.
  std::unique_ptr<SlowClientWatch> watch_;
  // Bits (set in the constructor: C++17 has no bit-field initializers), so that the
  // session keeps to its allocator size class (256 bytes) with watch_.
  bool protocol_detected_ : 1;
  bool in_request_ : 1;         // a request is being handled (head seen, response not done)
  bool request_complete_ : 1;
  bool request_bodyless_ : 1;    // the request head announced no body
  bool response_complete_ : 1;
  bool keep_alive_ : 1;          // the client's wish for this request
  bool chunked_response_ : 1;   // we re-encode the response body as chunked
  bool head_request_ : 1;
  bool draining_ : 1;
  bool closed_ : 1;
  bool lingering_ : 1;          // closeGracefully(): FIN sent, input is dropped
  bool reads_paused_for_pipeline_ : 1;
  bool head_started_ : 1;       // bytes of a request head (or of the first bytes) arrived
  bool body_held_back_ : 1;     // the router paused reading the request body (backpressure)
  bool request_body_sized_ : 1; // the request body has a declared length (content-length)
  uint8_t request_version_minor_ = 1;
};

}  // namespace strait::proxy
