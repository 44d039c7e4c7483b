#include "sidecar/http/h2_client_codec.h"

#include <nghttp2/nghttp2.h>

#include <cstdlib>

#include "sidecar/http/h2_headers.h"

namespace strait::http {

H2ClientCodec::H2ClientCodec(CodecCallbacks* callbacks, H2Settings settings)
    : H2Session(settings), callbacks_(callbacks) {
  nghttp2_option* opt;
  nghttp2_option_new(&opt);
  nghttp2_option_set_no_auto_window_update(opt, 1);
  nghttp2_option_set_max_outbound_ack(opt, 1000);
  initSession(/*server=*/false, opt);
  nghttp2_option_del(opt);
}

int32_t H2ClientCodec::submitRequest(const RequestHead& head, std::string_view scheme, bool end_stream) {
  if (goaway_received_) return -1;
  const std::string* host = head.headers.get("host");
  H2Fields nva(head.headers,
               {{":method", head.method},
                {":scheme", scheme},
                {":authority", host ? std::string_view(*host) : std::string_view("")},
                {":path", head.target}},
               /*skip=*/"host");
  nghttp2_data_provider provider = sessionBodyProvider();
  int32_t id = nghttp2_submit_request(session_.get(), nullptr, nva.data(), nva.size(),
                                      end_stream ? nullptr : &provider, nullptr);
  if (id > 0) add(id);
  return id;
}

uint32_t H2ClientCodec::remoteMaxConcurrentStreams() const {
  return nghttp2_session_get_remote_settings(session_.get(), NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS);
}

int H2ClientCodec::onBeginHeaders(int32_t stream_id, bool response) {
  Stream* s = find(stream_id);
  if (s && response) {
    s->status.clear();
    s->headers.clear();
    s->header_bytes = 0;
  }
  return 0;
}

int H2ClientCodec::onHeader(int32_t stream_id, std::string_view name, std::string_view value, bool trailer) {
  Stream* s = find(stream_id);
  if (s == nullptr) return 0;
  // nghttp2 files the head that follows a 1xx under "headers", like trailers.
  if (trailer && !s->final_head_seen) trailer = false;
  s->header_bytes += name.size() + value.size() + 32;
  if (s->header_bytes > settings_.max_header_list_size) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  if (trailer) s->trailers.add(std::string(name), std::string(value));
  else if (name == ":status") s->status.assign(value);
  else if (name[0] != ':') s->headers.add(std::string(name), std::string(value));
  return 0;
}

int H2ClientCodec::onFrameRecv(int32_t stream_id, uint8_t type, uint8_t flags, uint32_t error_code,
                               bool is_trailer) {
  if (type == NGHTTP2_GOAWAY) {
    goaway_received_ = true;
    callbacks_->onGoAway(stream_id, error_code);
    return 0;
  }
  Stream* s = find(stream_id);
  if (s == nullptr) return 0;
  bool end_stream = flags & NGHTTP2_FLAG_END_STREAM;
  if (type == NGHTTP2_HEADERS && (!is_trailer || !s->final_head_seen)) {
    ResponseHead head;
    head.status = std::atoi(s->status.c_str());
    head.headers = std::move(s->headers);
    s->final_head_seen = head.status >= 200;
    s->status.clear();
    s->headers.clear();
    s->header_bytes = 0;
    BodyFraming framing;
    uint64_t length;
    framingFromHead(head.headers, end_stream, &framing, &length);
    callbacks_->onResponseHead(stream_id, std::move(head), framing, length);
  } else if (type == NGHTTP2_HEADERS) {
    callbacks_->onTrailers(stream_id, std::move(s->trailers));
  }
  if (end_stream && (type == NGHTTP2_HEADERS || type == NGHTTP2_DATA)) callbacks_->onMessageComplete(stream_id);
  return 0;
}

}  // namespace strait::http
