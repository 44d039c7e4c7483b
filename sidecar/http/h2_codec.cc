#include "sidecar/http/h2_codec.h"

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <cstring>

#include "sidecar/http/h2_headers.h"

namespace strait::http {

H2ServerCodec::H2ServerCodec(CodecCallbacks* callbacks, H2Settings settings)
    : H2Session(settings), callbacks_(callbacks) {
  nghttp2_option* opt;
  nghttp2_option_new(&opt);
  nghttp2_option_set_no_auto_window_update(opt, 1);
  nghttp2_option_set_max_deflate_dynamic_table_size(opt, 4096);
  // Rapid reset (CVE-2023-44487): prematureResetFlood() acts first; nghttp2's rate limit
  // is a backstop.
  nghttp2_option_set_stream_reset_rate_limit(opt, 1000, 33);
  nghttp2_option_set_max_settings(opt, 32);
  nghttp2_option_set_max_outbound_ack(opt, 1000);
  initSession(/*server=*/true, opt);
  nghttp2_option_del(opt);
}

// Each frame header is judged by the stream window before nghttp2 reads the frame; in the
// common case (no verdict) the whole input goes to nghttp2 in one call.
bool H2ServerCodec::execute(const char* data, size_t len) {
  size_t fed = 0, pos = 0, frame_start = 0;
  while (!failed() && nextFrameHeader(data, len, &pos, &frame_start)) {
    const uint8_t* h = inbound_.header;
    const int32_t stream_id = static_cast<int32_t>(((h[5] & 0x7Fu) << 24) | (h[6] << 16) | (h[7] << 8) | h[8]);
    H2StreamWindow::Verdict verdict = stream_window_.onFrame(h[3], h[4], stream_id);
    // An empty DATA frame (not ending a stream) on a stream nghttp2 no longer holds reaches
    // none of its callbacks: it is charged to the frame budget here (on an open stream,
    // onFrameHeader charges it).
    if (h[3] == NGHTTP2_DATA && inbound_.payload_left == 0 && (h[4] & NGHTTP2_FLAG_END_STREAM) == 0 &&
        stream_id != 0 && nghttp2_session_find_stream(session_.get(), stream_id) == nullptr && chargeControlFrame()) {
      flood_detected_ = true;
      failConnection(NGHTTP2_ENHANCE_YOUR_CALM);
      return false;
    }
    if (verdict == H2StreamWindow::Verdict::kNone) continue;
    // nghttp2 reads everything before this frame (the RST_STREAM that closed its stream,
    // say), then says whether it still holds the stream.
    if (frame_start > fed && !receive(data + fed, frame_start - fed)) return false;
    fed = std::max(fed, frame_start);
    if (nghttp2_session_find_stream(session_.get(), stream_id) != nullptr) continue;
    if (!answerClosedStream(stream_id, verdict)) return false;
  }
  return receive(data + fed, len - fed);
}

bool H2ServerCodec::nextFrameHeader(const char* data, size_t len, size_t* pos, size_t* frame_start) {
  InboundFraming& in = inbound_;
  while (*pos < len) {
    size_t left = len - *pos;
    if (in.preface_left > 0 || in.payload_left > 0) {
      size_t& skip = in.preface_left > 0 ? in.preface_left : in.payload_left;
      size_t n = std::min(skip, left);
      skip -= n;
      *pos += n;
      continue;
    }
    // A header begun in an earlier call continues at the start of `data` (nghttp2 holds its
    // first bytes unread until the header is whole).
    *frame_start = in.header_have == 0 ? *pos : 0;
    size_t n = std::min(sizeof(in.header) - in.header_have, left);
    memcpy(in.header + in.header_have, data + *pos, n);
    in.header_have += n;
    *pos += n;
    if (in.header_have < sizeof(in.header)) return false;
    in.header_have = 0;
    in.payload_left = (static_cast<size_t>(in.header[0]) << 16) | (in.header[1] << 8) | in.header[2];
    return true;
  }
  return false;
}

bool H2ServerCodec::answerClosedStream(int32_t stream_id, H2StreamWindow::Verdict verdict) {
  switch (verdict) {
    case H2StreamWindow::Verdict::kNone:
      return true;
    case H2StreamWindow::Verdict::kStreamClosed:
      resetStream(stream_id, NGHTTP2_STREAM_CLOSED);  // once: the stream is now reset by us
      if (!chargeControlFrame()) return true;
      flood_detected_ = true;
      failConnection(NGHTTP2_ENHANCE_YOUR_CALM);
      return false;
    case H2StreamWindow::Verdict::kConnectionStreamClosed:
      failConnection(NGHTTP2_STREAM_CLOSED);
      return false;
    case H2StreamWindow::Verdict::kConnectionProtocolError:
      failConnection(NGHTTP2_PROTOCOL_ERROR);
      return false;
  }
  return true;
}

// Rapid reset: a client that cancels most of the streams it opens, by the hundred, is an
// attacker (each cancelled stream still costs the server its routing and upstream work).
bool H2ServerCodec::prematureResetFlood() {
  resets_received_++;
  if (resets_received_ >= kResetFloodMinimum && resets_received_ * 2 >= streams_opened_) {
    flood_detected_ = true;
  }
  return flood_detected_;
}

// Frames that do no work (RFC 9113 10.5): counted per window; past the budget, a flood.
int H2ServerCodec::onFrameHeader(int32_t stream_id, uint8_t type, uint8_t flags, size_t length) {
  // RFC 9113 6.3: PRIORITY on stream 0 is a connection error, even with RFC 7540 priorities
  // off (nghttp2 then skips PRIORITY frames unchecked).
  if (type == NGHTTP2_PRIORITY && stream_id == 0) return kFrameInvalid;
  bool counts = false;
  switch (type) {
    case NGHTTP2_PING:
    case NGHTTP2_SETTINGS:
      counts = !(flags & NGHTTP2_FLAG_ACK);
      break;
    case NGHTTP2_PRIORITY:
    case NGHTTP2_RST_STREAM:
      counts = true;
      break;
    case NGHTTP2_DATA:
      counts = length == 0 && !(flags & NGHTTP2_FLAG_END_STREAM);
      break;
    case NGHTTP2_WINDOW_UPDATE:
      if (window_update_credit_ > 0) {
        window_update_credit_--;
      } else {
        counts = true;
      }
      break;
    default:
      break;
  }
  if (!counts) return kFrameOk;
  return chargeControlFrame() ? kFrameFlood : kFrameOk;
}

bool H2ServerCodec::chargeControlFrame() {
  if (now_ms_ - window_start_ms_ >= kControlFrameWindowMs || now_ms_ < window_start_ms_) {
    window_start_ms_ = now_ms_;
    control_frames_ = 0;
    window_update_credit_ = 0;
  }
  return ++control_frames_ > settings_.max_control_frames;
}

void H2ServerCodec::onDataFrameSent() {
  if (window_update_credit_ < (1u << 20)) window_update_credit_ += 2;
}

bool H2ServerCodec::refusedHeaderBlock() {
  if (++refused_header_blocks_ > settings_.max_refused_header_blocks) flood_detected_ = true;
  return flood_detected_;
}

// nghttp2 reset the stream of a malformed request head (RFC 9113 8.1.1).
void H2ServerCodec::onRefusedFrame(int32_t, uint8_t type) {
  if (type == NGHTTP2_HEADERS) refusedHeaderBlock();
}

int H2ServerCodec::onBeginHeaders(int32_t stream_id, bool response) {
  if (response) return 0;
  streams_opened_++;
  add(stream_id);
  if (Stream* s = find(stream_id)) s->headers.reserve(12);  // one allocation for a typical request
  return 0;
}

int H2ServerCodec::onHeader(int32_t stream_id, std::string_view name, std::string_view value, bool trailer) {
  Stream* s = find(stream_id);
  if (s == nullptr) return 0;
  // RFC 9113 6.5.2 counts 32 bytes of overhead per field.
  s->header_bytes += name.size() + value.size() + 32;
  if (s->header_bytes > settings_.max_header_list_size) {
    if (trailer) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    s->head_too_large = true;  // answered 431 once the head is complete, as HTTP/1.1 is
    return 0;
  }
  if (trailer) s->trailers.add(std::string(name), std::string(value));
  else if (name == ":method") s->method.assign(value);
  else if (name == ":path") s->path.assign(value);
  else if (name == ":authority") s->authority.assign(value);
  else if (name[0] == ':') return 0;  // :scheme (nghttp2 validated the set)
  else if (name == "cookie") s->cookies.emplace_back(value);
  else s->headers.add(std::string(name), std::string(value));
  return 0;
}

void H2ServerCodec::deliverHead(int32_t stream_id, Stream& s, bool end_stream) {
  RequestHead head;
  head.method = std::move(s.method);
  head.target = std::move(s.path);
  head.headers = std::move(s.headers);
  if (!s.authority.empty()) head.headers.set("host", std::move(s.authority));
  if (!s.cookies.empty()) {
    std::string joined;
    for (const auto& c : s.cookies) joined += (joined.empty() ? "" : "; ") + c;
    head.headers.add("cookie", std::move(joined));
  }
  BodyFraming framing;
  uint64_t length;
  framingFromHead(head.headers, end_stream, &framing, &length);
  callbacks_->onRequestHead(stream_id, std::move(head), framing, length);
}

int H2ServerCodec::onFrameRecv(int32_t stream_id, uint8_t type, uint8_t flags, uint32_t, bool is_trailer) {
  if (type == NGHTTP2_RST_STREAM && prematureResetFlood()) return NGHTTP2_ERR_CALLBACK_FAILURE;
  Stream* s = find(stream_id);
  if (s == nullptr) return 0;
  bool end_stream = flags & NGHTTP2_FLAG_END_STREAM;
  if (type == NGHTTP2_HEADERS && !is_trailer) {
    if (s->head_too_large) {
      if (refusedHeaderBlock()) return NGHTTP2_ERR_CALLBACK_FAILURE;
      rejectHeadTooLarge(stream_id);
      return 0;
    }
    if (s->method == "CONNECT") {
      resetStream(stream_id, NGHTTP2_REFUSED_STREAM);
      return 0;
    }
    deliverHead(stream_id, *s, end_stream);
  } else if (type == NGHTTP2_HEADERS) {
    callbacks_->onTrailers(stream_id, std::move(s->trailers));
  }
  if (end_stream && (type == NGHTTP2_HEADERS || type == NGHTTP2_DATA)) callbacks_->onMessageComplete(stream_id);
  return 0;
}

// 431 without a body, ending our side of the stream. A request body still coming is
// read and dropped (the callbacks never heard of the stream, so they consume() it): an
// RST_STREAM here could overtake the response in nghttp2's queue and lose it.
void H2ServerCodec::rejectHeadTooLarge(int32_t stream_id) {
  ResponseHead head;
  head.status = 431;
  head.headers.add("x-strait-local-reply", "request_headers_too_large");
  submitResponse(stream_id, head, /*end_stream=*/true);
}

void H2ServerCodec::submitInterim(int32_t stream_id, const ResponseHead& head) {
  std::string scratch;
  H2Fields nva(head.headers, {{":status", statusText(head.status, &scratch)}});
  nghttp2_submit_headers(session_.get(), NGHTTP2_FLAG_NONE, stream_id, nullptr, nva.data(), nva.size(), nullptr);
}

void H2ServerCodec::submitResponse(int32_t stream_id, const ResponseHead& head, bool end_stream) {
  std::string scratch;
  H2Fields nva(head.headers, {{":status", statusText(head.status, &scratch)}});
  if (end_stream) {
    nghttp2_submit_response(session_.get(), stream_id, nva.data(), nva.size(), nullptr);
    return;
  }
  nghttp2_data_provider provider = sessionBodyProvider();
  nghttp2_submit_response(session_.get(), stream_id, nva.data(), nva.size(), &provider);
}

}  // namespace strait::http
