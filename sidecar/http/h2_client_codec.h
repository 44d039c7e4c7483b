// HTTP/2 client codec on nghttp2 (the upstream side): requests in the RequestHead shape the
// router produces, responses out as ResponseHead events. No I/O.
// The "host" field becomes :authority; connection-specific fields are dropped. Response
// DATA must be consume()d once forwarded downstream (manual flow control, like the server).
// THREADS: one owner thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "sidecar/http/codec.h"
#include "sidecar/http/h2_session.h"

namespace strait::http {

class H2ClientCodec final : public H2Session {
 public:
  H2ClientCodec(CodecCallbacks* callbacks, H2Settings settings = {});

  bool execute(const char* data, size_t len) { return receive(data, len); }
  // Starts a request; returns its stream id, or a negative value when the connection can
  // take no more streams (ids exhausted or GOAWAY received). `scheme` is "http" or "https".
  int32_t submitRequest(const RequestHead& head, std::string_view scheme, bool end_stream);
  // The peer's SETTINGS_MAX_CONCURRENT_STREAMS (100 until it says otherwise).
  uint32_t remoteMaxConcurrentStreams() const;
  size_t activeStreams() const { return streams_.size(); }
  bool goAwayReceived() const { return goaway_received_; }

  int onBeginHeaders(int32_t stream_id, bool response) override;
  int onHeader(int32_t stream_id, std::string_view name, std::string_view value, bool trailer) override;
  int onFrameRecv(int32_t stream_id, uint8_t type, uint8_t flags, uint32_t error_code, bool is_trailer) override;

 private:
  void deliverData(int32_t stream_id, const char* data, size_t len) override {
    callbacks_->onBody(stream_id, data, len);
  }
  void streamClosed(int32_t stream_id, uint32_t error_code) override {
    callbacks_->onStreamClose(stream_id, error_code);
  }
  void streamDrained(int32_t stream_id) override { callbacks_->onStreamDrained(stream_id); }

  CodecCallbacks* callbacks_;
  bool goaway_received_ = false;
};

}  // namespace strait::http
