#include "sidecar/upstream/h1_upstream_stream.h"

#include <string>
#include <string_view>
#include <utility>

#include "sidecar/upstream/h1_pool.h"

namespace strait::proxy {

H1UpstreamStream::H1UpstreamStream(H1Pool& pool, std::unique_ptr<net::Connection> conn, bool reused,
                                   const UpstreamPool::Request& request, UpstreamStreamCallbacks& callbacks)
    : pool_(pool), conn_(std::move(conn)), callbacks_(&callbacks),
      parser_(http::H1Parser::Mode::kResponse, this), framing_(request.framing), reused_(reused),
      idle_timeout_ms_(request.idle_timeout_ms) {
  parser_.expectHeadResponse(request.head->method == "HEAD");
  conn_->setCallbacks(this);
  std::string head;
  http::encodeRequestHead(*request.head, &head);
  conn_->write(head);
  // Nothing follows the head (upstream_stream.h): the request ends here. Without this a
  // chunked request never got its last chunk, and the connection was not reused, when the
  // owner made no end() call (RouterStream's retry of a request with an empty body).
  if (request.end_stream) end(nullptr);
}

H1UpstreamStream::~H1UpstreamStream() { releaseConnection(/*reusable=*/false); }

void H1UpstreamStream::sendBody(const char* data, size_t len) {
  if (!conn_ || len == 0) return;
  if (framing_ == http::BodyFraming::kChunked) {
    std::string chunk;
    http::encodeChunk(data, len, &chunk);
    conn_->write(chunk);
  } else {
    conn_->write(std::string_view(data, len));
  }
}

void H1UpstreamStream::end(const http::HeaderMap* trailers) {
  if (request_ended_) return;  // ended with the head already
  request_ended_ = true;
  if (!conn_ || framing_ != http::BodyFraming::kChunked) return;  // trailers need chunked framing
  std::string last;
  http::encodeLastChunk(trailers, &last);
  conn_->write(last);
}

void H1UpstreamStream::readDisable(bool disable) {
  if (!conn_ || disable == read_disabled_) return;
  read_disabled_ = disable;
  conn_->readDisable(disable);
}

// After the response: a complete exchange keeps its connection for the pool (the bytes of the
// response are all parsed by then, see onRead); anything else closes it.
void H1UpstreamStream::cancel() {
  callbacks_ = nullptr;
  if (!response_complete_) releaseConnection(/*reusable=*/false);
}

void H1UpstreamStream::onRead(net::Buffer& in) {
  // A callback may cancel the exchange (a retry decided on the head): stop parsing then.
  while (callbacks_ && !response_complete_ && !in.empty()) {
    size_t n = parser_.execute(in.data(), in.size());
    in.drain(n);
    if (n == 0) break;
  }
  // Released only here, once the parser's bytes are drained, so leftovers are visible.
  if (response_complete_) releaseConnection(keep_alive_ && request_ended_);
}

void H1UpstreamStream::onEvent(net::ConnectionEvent event) {
  if (event == net::ConnectionEvent::kConnected) {
    if (callbacks_) callbacks_->onUpstreamConnected();
    return;
  }
  if (!callbacks_) return releaseConnection(false);
  // The upstream closed. A close-delimited body ends here; anything else is a failure.
  if (conn_->connectFailed()) return failed({UpstreamFailure::Kind::kConnectFailure, "upstream_connect_failure"});
  bool started = parser_.inMessage();
  if (started && parser_.finish() && response_complete_) return releaseConnection(false);
  // A pooled connection closed before any byte of the response: the upstream had closed it.
  failed({reused_ && !started ? UpstreamFailure::Kind::kNotProcessed : UpstreamFailure::Kind::kReset,
          "upstream_reset_before_response_complete"});
}

void H1UpstreamStream::onAboveWriteHighWatermark() {
  if (callbacks_) callbacks_->onUpstreamWriteWatermark(true);
}

void H1UpstreamStream::onBelowWriteLowWatermark() {
  if (callbacks_) callbacks_->onUpstreamWriteWatermark(false);
}

void H1UpstreamStream::onResponseHead(http::StreamId, http::ResponseHead&& head, http::BodyFraming framing, uint64_t length) {
  if (head.status >= 200 || head.status == 101) keep_alive_ = head.keep_alive;
  if (callbacks_) callbacks_->onUpstreamHead(std::move(head), framing, length);
}

void H1UpstreamStream::onBody(http::StreamId, const char* data, size_t len) {
  if (callbacks_) callbacks_->onUpstreamData(data, len);
}

void H1UpstreamStream::onTrailers(http::StreamId, http::HeaderMap&& trailers) {
  if (callbacks_) callbacks_->onUpstreamTrailers(std::move(trailers));
}

void H1UpstreamStream::onMessageComplete(http::StreamId) {
  response_complete_ = true;
  // The connection goes back to the pool (or closes) at the end of onRead.
  if (callbacks_) callbacks_->onUpstreamEnd();
}

void H1UpstreamStream::onError(http::StreamId, const http::ParseError&) {
  failed({UpstreamFailure::Kind::kProtocolError, "upstream_protocol_error"});
}

void H1UpstreamStream::failed(const UpstreamFailure& failure) {
  UpstreamStreamCallbacks* cb = callbacks_;
  callbacks_ = nullptr;
  releaseConnection(false);
  if (cb) cb->onUpstreamFailure(failure);
}

void H1UpstreamStream::releaseConnection(bool reusable) {
  if (!conn_) return;
  if (read_disabled_) {
    conn_->readDisable(false);
    read_disabled_ = false;
  }
  bool clean = reusable && conn_->open() && conn_->input().empty() && conn_->bufferedOut() == 0;
  pool_.done(std::move(conn_), clean, idle_timeout_ms_);
}

}  // namespace strait::proxy
