// The downstream side of one request, as the router's stream (and its filters) see it: the
// codec-neutral way to answer, implemented by the HTTP/1.1 session and by each HTTP/2 stream.
// THREADS: the request's worker. OWNERSHIP: the session owns the sink; it outlives the stream
// that writes to it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sidecar/http/message.h"

namespace strait::http {

class StreamSink {
 public:
  virtual ~StreamSink() = default;
  virtual void sendHeaders(ResponseHead&& head, BodyFraming framing, uint64_t length) = 0;
  virtual void sendInterim(const ResponseHead& head) = 0;  // 1xx
  virtual void sendBody(const char* data, size_t len) = 0;
  virtual void sendComplete(const HeaderMap* trailers) = 0;
  // Only before sendHeaders: a generated response ("details" goes to the log and a header).
  virtual void sendLocalReply(int status, std::string_view details) = 0;
  // After sendHeaders: the response cannot be completed; abort the downstream stream.
  virtual void resetDownstream() = 0;
  virtual void readDisableDownstream(bool disable) = 0;
};

}  // namespace strait::http
