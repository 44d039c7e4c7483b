#include "sidecar/http/h2_session.h"

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <vector>

#include "sidecar/http/h2_headers.h"

namespace strait::http {
namespace {

H2Session* sessionOf(void* user_data) { return static_cast<H2Session*>(user_data); }

int onBeginFrameCb(nghttp2_session*, const nghttp2_frame_hd* hd, void* user_data) {
  return sessionOf(user_data)->onBeginFrame(hd->stream_id, hd->type, hd->flags, hd->length);
}

int onInvalidFrameRecvCb(nghttp2_session*, const nghttp2_frame* frame, int, void* user_data) {
  sessionOf(user_data)->onInvalidFrame(frame->hd.stream_id, frame->hd.type);
  return 0;
}

int onBeginHeadersCb(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
  if (frame->hd.type != NGHTTP2_HEADERS) return 0;
  if (frame->headers.cat != NGHTTP2_HCAT_REQUEST && frame->headers.cat != NGHTTP2_HCAT_RESPONSE) return 0;
  return sessionOf(user_data)->onBeginHeaders(frame->hd.stream_id, frame->headers.cat == NGHTTP2_HCAT_RESPONSE);
}

int onHeaderCb(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name, size_t namelen,
               const uint8_t* value, size_t valuelen, uint8_t, void* user_data) {
  if (frame->hd.type != NGHTTP2_HEADERS) return 0;
  bool trailer = frame->headers.cat == NGHTTP2_HCAT_HEADERS;
  return sessionOf(user_data)->onHeader(frame->hd.stream_id, {reinterpret_cast<const char*>(name), namelen},
                                        {reinterpret_cast<const char*>(value), valuelen}, trailer);
}

int onFrameRecvCb(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
  bool trailer = frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_HEADERS;
  uint32_t code = 0;
  if (frame->hd.type == NGHTTP2_RST_STREAM) code = frame->rst_stream.error_code;
  if (frame->hd.type == NGHTTP2_GOAWAY) {
    code = frame->goaway.error_code;
    return sessionOf(user_data)->onFrameRecv(frame->goaway.last_stream_id, frame->hd.type, 0, code, false);
  }
  return sessionOf(user_data)->onFrameRecv(frame->hd.stream_id, frame->hd.type, frame->hd.flags, code, trailer);
}

int onDataChunkCb(nghttp2_session*, uint8_t, int32_t stream_id, const uint8_t* data, size_t len, void* user_data) {
  return sessionOf(user_data)->onDataChunk(stream_id, data, len);
}

int onStreamCloseCb(nghttp2_session*, int32_t stream_id, uint32_t error_code, void* user_data) {
  return sessionOf(user_data)->onStreamClose(stream_id, error_code);
}

int sendDataCb(nghttp2_session*, nghttp2_frame* frame, const uint8_t* framehd, size_t length,
               nghttp2_data_source*, void* user_data) {
  return sessionOf(user_data)->sendDataFrame(frame->hd.stream_id, framehd, length, frame->data.padlen);
}

int onFrameSendCb(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
  if (frame->hd.type == NGHTTP2_GOAWAY) sessionOf(user_data)->onGoAwaySent(frame->goaway.error_code);
  if (frame->hd.type == NGHTTP2_RST_STREAM) sessionOf(user_data)->onRstStreamSent(frame->hd.stream_id);
  return 0;
}

}  // namespace

void H2Session::SessionDeleter::operator()(nghttp2_session* s) const { nghttp2_session_del(s); }

H2Session::~H2Session() = default;

void H2Session::initSession(bool server, nghttp2_option* opt) {
  nghttp2_session_callbacks* cbs;
  nghttp2_session_callbacks_new(&cbs);
  nghttp2_session_callbacks_set_on_begin_frame_callback(cbs, onBeginFrameCb);
  nghttp2_session_callbacks_set_on_invalid_frame_recv_callback(cbs, onInvalidFrameRecvCb);
  nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, onBeginHeadersCb);
  nghttp2_session_callbacks_set_on_header_callback(cbs, onHeaderCb);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, onFrameRecvCb);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, onDataChunkCb);
  nghttp2_session_callbacks_set_on_stream_close_callback(cbs, onStreamCloseCb);
  nghttp2_session_callbacks_set_on_frame_send_callback(cbs, onFrameSendCb);
  nghttp2_session_callbacks_set_send_data_callback(cbs, sendDataCb);
  nghttp2_session* raw = nullptr;
  if (server) nghttp2_session_server_new2(&raw, cbs, this, opt);
  else nghttp2_session_client_new2(&raw, cbs, this, opt);
  session_.reset(raw);
  nghttp2_session_callbacks_del(cbs);
  sendSettings(server);
}

void H2Session::sendSettings(bool server) {
  std::vector<nghttp2_settings_entry> iv = {
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, settings_.initial_window_size},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, settings_.max_header_list_size},
      {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
      // RFC 9113 deprecates RFC 7540's priority tree; without it nghttp2 neither builds the
      // dependency tree nor keeps closed streams for it (RFC 9218 urgencies still apply).
      {NGHTTP2_SETTINGS_NO_RFC7540_PRIORITIES, 1},
  };
  if (server) iv.push_back({NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, settings_.max_concurrent_streams});
  nghttp2_submit_settings(session_.get(), NGHTTP2_FLAG_NONE, iv.data(), iv.size());
  // A connection window as large as a few streams' keeps throughput up.
  nghttp2_session_set_local_window_size(session_.get(), NGHTTP2_FLAG_NONE, 0,
                                        static_cast<int32_t>(settings_.initial_window_size * 4));
}

bool H2Session::receive(const char* data, size_t len) {
  if (failed_) return false;
  ssize_t n = nghttp2_session_mem_recv(session_.get(), reinterpret_cast<const uint8_t*>(data), len);
  bool flood = flood_detected_ || n == NGHTTP2_ERR_FLOODED || n == NGHTTP2_ERR_TOO_MANY_CONTINUATIONS;
  if (n < 0 || flood_detected_) {  // a flood seen by a callback that could not fail the input
    nghttp2_session_terminate_session(session_.get(), flood ? NGHTTP2_ENHANCE_YOUR_CALM : NGHTTP2_PROTOCOL_ERROR);
  } else if (goaway_error_ == 0) {
    return true;
  }
  // nghttp2 either failed the input or answered it with an error GOAWAY of its own.
  failed_ = true;
  if (flood || error_.empty()) error_ = flood || goaway_error_ == NGHTTP2_ENHANCE_YOUR_CALM ? "flood" : "protocol";
  return false;
}

void H2Session::failConnection(uint32_t error_code) {
  nghttp2_session_terminate_session(session_.get(), error_code);
  failed_ = true;
  if (error_.empty()) error_ = error_code == NGHTTP2_ENHANCE_YOUR_CALM ? "flood" : "protocol";
}

void H2Session::onGoAwaySent(uint32_t error_code) {
  if (error_code == NGHTTP2_NO_ERROR) return;
  goaway_error_ = error_code;
  failed_ = true;
  if (error_.empty()) error_ = error_code == NGHTTP2_ENHANCE_YOUR_CALM ? "flood" : "protocol";
}

// CONTINUATION flood: a header block of too many frames or bytes is a connection error,
// as a legitimate peer never needs that much (nghttp2 has its own frame limit as well).
int H2Session::onBeginFrame(int32_t stream_id, uint8_t type, uint8_t flags, size_t length) {
  if (int rv = onFrameHeader(stream_id, type, flags, length); rv != kFrameOk) {
    if (rv == kFrameFlood) flood_detected_ = true;
    return NGHTTP2_ERR_CALLBACK_FAILURE;  // receive() answers GOAWAY (flood or PROTOCOL_ERROR)
  }
  if (type == NGHTTP2_HEADERS) {
    header_block_frames_ = 1;
    header_block_bytes_ = length;
  } else if (type == NGHTTP2_CONTINUATION) {
    header_block_frames_++;
    header_block_bytes_ += length;
  } else {
    return 0;
  }
  if (header_block_frames_ > kMaxHeaderBlockFrames ||
      header_block_bytes_ > 2 * static_cast<size_t>(settings_.max_header_list_size)) {
    flood_detected_ = true;
    return NGHTTP2_ERR_CALLBACK_FAILURE;
  }
  return 0;
}

void H2Session::onInvalidFrame(int32_t stream_id, uint8_t type) { onRefusedFrame(stream_id, type); }

void H2Session::takeOutput(std::string* out) {
  drainOutput([out](const char* data, size_t len) { out->append(data, len); });
}

void H2Session::drainOutput(absl::FunctionRef<void(const char* data, size_t len)> sink) {
  // DATA payloads bypass nghttp2's frame buffer: sendDataFrame writes them to `sink` straight
  // from the stream's queue, in order with the frames mem_send returns around them.
  sink_ = &sink;
  for (;;) {
    const uint8_t* data = nullptr;
    ssize_t n = nghttp2_session_mem_send(session_.get(), &data);
    if (n <= 0) break;
    sink(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
  }
  sink_ = nullptr;
  // Drain notifications after framing, outside nghttp2's callbacks (and no scan at all while
  // no stream is over its high mark, the common case).
  if (streams_above_high_ == 0) return;
  std::vector<int32_t> drained;
  for (auto& [id, s] : streams_) {
    if (s->above_high && s->queued() < settings_.response_buffer_low) {
      s->above_high = false;
      --streams_above_high_;
      drained.push_back(id);
    }
  }
  for (int32_t id : drained) streamDrained(id);
}

bool H2Session::alive() const {
  return nghttp2_session_want_read(session_.get()) || nghttp2_session_want_write(session_.get());
}

H2Session::Stream* H2Session::find(int32_t stream_id) const {
  auto it = streams_.find(stream_id);
  return it == streams_.end() ? nullptr : it->second.get();
}

H2Session::Stream& H2Session::add(int32_t stream_id) {
  auto& slot = streams_[stream_id];
  if (slot && slot->above_high) --streams_above_high_;
  if (slot) total_queued_ -= slot->queued();
  slot = std::make_unique<Stream>();
  return *slot;
}

int H2Session::onDataChunk(int32_t stream_id, const uint8_t* data, size_t len) {
  if (find(stream_id)) {
    deliverData(stream_id, reinterpret_cast<const char*>(data), len);
  } else {
    nghttp2_session_consume_connection(session_.get(), len);
  }
  return 0;
}

int H2Session::onStreamClose(int32_t stream_id, uint32_t error_code) {
  auto it = streams_.find(stream_id);
  if (it == streams_.end()) return 0;
  if (it->second->above_high) --streams_above_high_;
  total_queued_ -= it->second->queued();
  streams_.erase(it);
  streamClosed(stream_id, error_code);
  return 0;
}

void H2Session::sendData(int32_t stream_id, const char* data, size_t len) {
  Stream* s = find(stream_id);
  if (s == nullptr || len == 0) return;
  // Reclaim what nghttp2 already framed once it is the larger part: a stream that never
  // fully drains must not keep every byte it ever sent.
  if (s->pending_offset > 0 && s->pending_offset >= s->pending.size() / 2) {
    s->pending.erase(0, s->pending_offset);
    s->pending_offset = 0;
  }
  s->pending.append(data, len);
  total_queued_ += len;
  if (!s->above_high && s->queued() > settings_.response_buffer_high) {
    s->above_high = true;
    ++streams_above_high_;
  }
  resume(*s, stream_id);
}

void H2Session::endStream(int32_t stream_id, const HeaderMap* trailers) {
  Stream* s = find(stream_id);
  if (s == nullptr) return;
  s->end_after_pending = true;
  if (trailers && trailers->size()) {
    s->has_trailers = true;
    s->out_trailers = *trailers;
  }
  resume(*s, stream_id);
}

void H2Session::resume(Stream& s, int32_t stream_id) {
  if (!s.deferred) return;
  s.deferred = false;
  nghttp2_session_resume_data(session_.get(), stream_id);
}

// The payload is not copied here (NGHTTP2_DATA_FLAG_NO_COPY): nghttp2 frames it and then
// calls sendDataFrame, which takes the same `n` bytes from the queue.
ssize_t H2Session::readData(int32_t stream_id, uint8_t*, size_t length, uint32_t* data_flags) {
  Stream* s = find(stream_id);
  if (s == nullptr) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  size_t n = std::min(length, s->queued());
  bool last = n == s->queued();  // this frame empties the queue
  if (last && n == 0 && !s->end_after_pending) {
    s->deferred = true;
    return NGHTTP2_ERR_DEFERRED;
  }
  *data_flags |= NGHTTP2_DATA_FLAG_NO_COPY;
  if (last && s->end_after_pending) {
    *data_flags |= NGHTTP2_DATA_FLAG_EOF;
    if (s->has_trailers) {
      *data_flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
      H2Fields nva(s->out_trailers, {});
      nghttp2_submit_trailer(session_.get(), stream_id, nva.data(), nva.size());
    }
  }
  return static_cast<ssize_t>(n);
}

int H2Session::sendDataFrame(int32_t stream_id, const uint8_t* framehd, size_t length, size_t padlen) {
  Stream* s = find(stream_id);
  if (s == nullptr || sink_ == nullptr || s->queued() < length) return NGHTTP2_ERR_CALLBACK_FAILURE;
  auto& sink = *sink_;
  sink(reinterpret_cast<const char*>(framehd), 9);
  if (padlen > 0) {
    const char pad_length = static_cast<char>(padlen - 1);
    sink(&pad_length, 1);
  }
  if (length > 0) sink(s->pending.data() + s->pending_offset, length);
  s->pending_offset += length;
  total_queued_ -= length;
  onDataFrameSent();
  if (padlen > 1) {
    static constexpr char kZeros[256] = {};
    sink(kZeros, padlen - 1);  // padlen <= 256
  }
  if (s->queued() == 0) {
    s->pending.clear();
    s->pending_offset = 0;
  }
  return 0;
}

void H2Session::resetStream(int32_t stream_id, uint32_t error_code) {
  nghttp2_submit_rst_stream(session_.get(), NGHTTP2_FLAG_NONE, stream_id, error_code);
  onLocalReset(stream_id);
}

void H2Session::consume(int32_t stream_id, size_t len) {
  if (len == 0) return;
  if (find(stream_id)) nghttp2_session_consume(session_.get(), stream_id, len);
  else nghttp2_session_consume_connection(session_.get(), len);
}

size_t H2Session::queuedBytes(int32_t stream_id) const {
  Stream* s = find(stream_id);
  return s ? s->queued() : 0;
}

void H2Session::goAway() {
  nghttp2_submit_goaway(session_.get(), NGHTTP2_FLAG_NONE,
                        nghttp2_session_get_last_proc_stream_id(session_.get()), NGHTTP2_NO_ERROR,
                        nullptr, 0);
}

}  // namespace strait::http
