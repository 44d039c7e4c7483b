// The one event contract of every codec — HTTP/1.1 and HTTP/2, server side and client side:
// bytes go in through the codec's execute(), these events come out. The connection managers
// above (session, upstream pools, health checks, admin) therefore handle both protocols with
// the same callbacks; only the codec object differs.
//
// STREAMS: HTTP/1.1 carries one message at a time, always on stream kH1Stream; HTTP/2 many, by
// stream id. Server codecs decode requests (onRequestHead), client codecs responses
// (onResponseHead, interim 1xx heads included, before the final one).
// ORDER per message: one head, then onBody any number of times, then onTrailers if any, then
// onMessageComplete exactly once — also for a message without a body. A failure ends the
// sequence early: onError (HTTP/1.1, the codec is dead) or onStreamClose with an error code
// (HTTP/2).
// THREADS: the codec's owner thread; callbacks run inside execute().
#pragma once

#include <cstddef>
#include <cstdint>

#include "sidecar/http/message.h"

namespace strait::http {

using StreamId = int32_t;
inline constexpr StreamId kH1Stream = 1;  // the stream id of every HTTP/1.1 message

class CodecCallbacks {
 public:
  virtual ~CodecCallbacks() = default;
  // A request head (server codecs). `framing`/`length` say how its body is delimited
  // (HTTP/2: by content-length when present, else until END_STREAM, reported as chunked).
  virtual void onRequestHead(StreamId id, RequestHead&& head, BodyFraming framing, uint64_t length) {
    (void)id, (void)head, (void)framing, (void)length;
  }
  // A response head (client codecs), interim 1xx ones too.
  virtual void onResponseHead(StreamId id, ResponseHead&& head, BodyFraming framing, uint64_t length) {
    (void)id, (void)head, (void)framing, (void)length;
  }
  // A piece of the decoded body (framing removed). HTTP/2: the codec does not hold the bytes;
  // acknowledge them with consume() once forwarded (flow control).
  virtual void onBody(StreamId id, const char* data, size_t len) = 0;
  virtual void onTrailers(StreamId id, HeaderMap&& trailers) { (void)id, (void)trailers; }
  // The message is complete.
  virtual void onMessageComplete(StreamId id) = 0;
  // HTTP/1.1: the input is invalid; `error.status` is what a server answers. The codec is
  // dead afterwards.
  virtual void onError(StreamId id, const ParseError& error) { (void)id, (void)error; }
  // HTTP/2: the stream is gone (completed both ways, reset by either side, or the connection
  // ended); `error_code` 0 is a normal close (REFUSED_STREAM: never processed).
  virtual void onStreamClose(StreamId id, uint32_t error_code) { (void)id, (void)error_code; }
  // HTTP/2: body bytes queued for the peer on this stream fell below the low mark after
  // being above the high one (resume producing them).
  virtual void onStreamDrained(StreamId id) { (void)id; }
  // HTTP/2 client: the server sent GOAWAY; streams above `last_stream_id` were not processed.
  virtual void onGoAway(StreamId last_stream_id, uint32_t error_code) { (void)last_stream_id, (void)error_code; }
};

}  // namespace strait::http
