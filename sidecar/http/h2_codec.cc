#include "sidecar/http/h2_codec.h"

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <cstring>
#include <vector>

namespace strait::http {

struct H2ServerCodec::Stream {
  // Request side, while headers arrive.
  RequestHead head;
  std::string path;
  std::string authority;
  std::vector<std::string> cookies;
  HeaderMap trailers;
  // Response side.
  std::string pending;            // response body bytes not yet framed
  size_t pending_offset = 0;
  bool end_after_pending = false; // endStream() was called
  bool has_trailers = false;
  HeaderMap out_trailers;
  bool deferred = false;          // nghttp2 was told to wait for data
  bool above_high = false;
  size_t header_bytes = 0;        // decoded header list size so far (RFC 9113 6.5.2)
  size_t queued() const { return pending.size() - pending_offset; }
};

namespace {

H2ServerCodec* codecOf(void* user_data) { return static_cast<H2ServerCodec*>(user_data); }

int onBeginHeadersCb(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
  if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  return codecOf(user_data)->onBeginHeaders(frame->hd.stream_id);
}

int onHeaderCb(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name, size_t namelen,
               const uint8_t* value, size_t valuelen, uint8_t, void* user_data) {
  if (frame->hd.type != NGHTTP2_HEADERS) return 0;
  bool trailer = frame->headers.cat == NGHTTP2_HCAT_HEADERS;
  return codecOf(user_data)->onHeader(frame->hd.stream_id,
                                      {reinterpret_cast<const char*>(name), namelen},
                                      {reinterpret_cast<const char*>(value), valuelen}, trailer);
}

int onFrameRecvCb(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
  bool trailer = frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_HEADERS;
  return codecOf(user_data)->onFrameRecv(frame->hd.stream_id, frame->hd.type, frame->hd.flags, trailer);
}

int onDataChunkCb(nghttp2_session*, uint8_t, int32_t stream_id, const uint8_t* data, size_t len,
                  void* user_data) {
  return codecOf(user_data)->onDataChunk(stream_id, data, len);
}

int onBeginFrameCb(nghttp2_session*, const nghttp2_frame_hd* hd, void* user_data) {
  return codecOf(user_data)->onBeginFrame(hd->stream_id, hd->type, hd->length);
}

int onFrameSendCb(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
  if (frame->hd.type == NGHTTP2_GOAWAY) codecOf(user_data)->onGoAwaySent(frame->goaway.error_code);
  return 0;
}

int onStreamCloseCb(nghttp2_session*, int32_t stream_id, uint32_t error_code, void* user_data) {
  return codecOf(user_data)->onStreamClose(stream_id, error_code);
}

ssize_t readDataCb(nghttp2_session*, int32_t stream_id, uint8_t* buf, size_t length,
                   uint32_t* data_flags, nghttp2_data_source*, void* user_data) {
  return codecOf(user_data)->readData(stream_id, buf, length, data_flags);
}

bool isConnectionSpecific(const std::string& name) {
  return name == "connection" || name == "keep-alive" || name == "proxy-connection" ||
         name == "transfer-encoding" || name == "upgrade";
}

nghttp2_nv makeNv(const std::string& name, const std::string& value) {
  return {reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
          reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(), value.size(),
          NGHTTP2_NV_FLAG_NONE};
}

// Header fields for nghttp2, pointing into `fields` (which must outlive the submit call).
std::vector<nghttp2_nv> toNva(const HeaderMap& fields, const std::string* status) {
  static const std::string kStatus = ":status";
  std::vector<nghttp2_nv> nva;
  nva.reserve(fields.size() + 1);
  if (status) nva.push_back(makeNv(kStatus, *status));
  for (const auto& f : fields.fields()) {
    if (isConnectionSpecific(f.name) || (f.name == "te" && f.value != "trailers")) continue;
    nva.push_back(makeNv(f.name, f.value));
  }
  return nva;
}

}  // namespace

void H2ServerCodec::SessionDeleter::operator()(nghttp2_session* s) const { nghttp2_session_del(s); }

H2ServerCodec::H2ServerCodec(H2ServerCallbacks* callbacks, H2Settings settings)
    : callbacks_(callbacks), settings_(settings) {
  nghttp2_session_callbacks* cbs;
  nghttp2_session_callbacks_new(&cbs);
  nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, onBeginHeadersCb);
  nghttp2_session_callbacks_set_on_header_callback(cbs, onHeaderCb);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, onFrameRecvCb);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, onDataChunkCb);
  nghttp2_session_callbacks_set_on_stream_close_callback(cbs, onStreamCloseCb);
  nghttp2_session_callbacks_set_on_begin_frame_callback(cbs, onBeginFrameCb);
  nghttp2_session_callbacks_set_on_frame_send_callback(cbs, onFrameSendCb);
  nghttp2_option* opt;
  nghttp2_option_new(&opt);
  nghttp2_option_set_no_auto_window_update(opt, 1);
  nghttp2_option_set_max_deflate_dynamic_table_size(opt, 4096);
  // Rapid reset (CVE-2023-44487): the codec's own premature-reset check (onFrameRecv) acts
  // first; nghttp2's rate limit is a backstop.
  nghttp2_option_set_stream_reset_rate_limit(opt, 1000, 33);
  nghttp2_option_set_max_settings(opt, 32);
  nghttp2_option_set_max_outbound_ack(opt, 1000);
  nghttp2_session* raw = nullptr;
  nghttp2_session_server_new2(&raw, cbs, this, opt);
  session_.reset(raw);
  nghttp2_option_del(opt);
  nghttp2_session_callbacks_del(cbs);
  nghttp2_settings_entry iv[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, settings_.max_concurrent_streams},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, settings_.initial_window_size},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, settings_.max_header_list_size},
      {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
  };
  nghttp2_submit_settings(session_.get(), NGHTTP2_FLAG_NONE, iv, sizeof(iv) / sizeof(iv[0]));
  // A connection window as large as the sum of a few streams' keeps throughput up.
  nghttp2_session_set_local_window_size(session_.get(), NGHTTP2_FLAG_NONE, 0,
                                        static_cast<int32_t>(settings_.initial_window_size * 4));
}

H2ServerCodec::~H2ServerCodec() = default;

bool H2ServerCodec::execute(const char* data, size_t len) {
  if (failed_) return false;
  ssize_t n = nghttp2_session_mem_recv(session_.get(), reinterpret_cast<const uint8_t*>(data), len);
  bool flood = flood_detected_ || n == NGHTTP2_ERR_FLOODED || n == NGHTTP2_ERR_TOO_MANY_CONTINUATIONS;
  if (n < 0) {
    nghttp2_session_terminate_session(session_.get(), flood ? NGHTTP2_ENHANCE_YOUR_CALM : NGHTTP2_PROTOCOL_ERROR);
  } else if (goaway_error_ == 0) {
    return true;
  }
  // nghttp2 either failed the input or answered it with an error GOAWAY of its own.
  failed_ = true;
  if (flood || error_.empty()) error_ = flood || goaway_error_ == NGHTTP2_ENHANCE_YOUR_CALM ? "flood" : "protocol";
  return false;
}

void H2ServerCodec::onGoAwaySent(uint32_t error_code) {
  if (error_code == NGHTTP2_NO_ERROR) return;
  goaway_error_ = error_code;
  failed_ = true;
  if (error_.empty()) error_ = error_code == NGHTTP2_ENHANCE_YOUR_CALM ? "flood" : "protocol";
}

void H2ServerCodec::takeOutput(std::string* out) {
  for (;;) {
    const uint8_t* data = nullptr;
    ssize_t n = nghttp2_session_mem_send(session_.get(), &data);
    if (n <= 0) break;
    out->append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
  }
  // Drain notifications after framing, outside nghttp2's callbacks.
  std::vector<int32_t> drained;
  for (auto& [id, s] : streams_) {
    if (s->above_high && s->queued() < settings_.response_buffer_low) {
      s->above_high = false;
      drained.push_back(id);
    }
  }
  for (int32_t id : drained) callbacks_->onH2StreamDrained(id);
}

bool H2ServerCodec::alive() const {
  return nghttp2_session_want_read(session_.get()) || nghttp2_session_want_write(session_.get());
}

// CONTINUATION flood (CVE-2024-27316 family): nghttp2 1.52 decodes header blocks of any
// number of frames, so the codec bounds a block's frames and bytes itself; exceeding either
// is a connection error (GOAWAY), as a legitimate peer never needs that much.
int H2ServerCodec::onBeginFrame(int32_t stream_id, uint8_t type, size_t length) {
  (void)stream_id;
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

// Rapid reset: a client that cancels most of the streams it opens, by the hundred, is an
// attacker (each cancelled stream still costs the server its routing and upstream work).
bool H2ServerCodec::prematureResetFlood() {
  resets_received_++;
  if (resets_received_ >= kResetFloodMinimum && resets_received_ * 2 >= streams_opened_) {
    flood_detected_ = true;
  }
  return flood_detected_;
}

int H2ServerCodec::onBeginHeaders(int32_t stream_id) {
  streams_opened_++;
  streams_[stream_id] = std::make_unique<Stream>();
  return 0;
}

int H2ServerCodec::onHeader(int32_t stream_id, std::string_view name, std::string_view value, bool trailer) {
  auto it = streams_.find(stream_id);
  if (it == streams_.end()) return 0;
  Stream& s = *it->second;
  // RFC 9113 6.5.2 counts 32 bytes of overhead per field.
  s.header_bytes += name.size() + value.size() + 32;
  if (s.header_bytes > settings_.max_header_list_size) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  if (trailer) {
    s.trailers.add(std::string(name), std::string(value));
    return 0;
  }
  if (name == ":method") s.head.method.assign(value);
  else if (name == ":path") s.path.assign(value);
  else if (name == ":authority") s.authority.assign(value);
  else if (name[0] == ':') return 0;  // :scheme (nghttp2 validated the set)
  else if (name == "cookie") s.cookies.emplace_back(value);
  else s.head.headers.add(std::string(name), std::string(value));
  return 0;
}

int H2ServerCodec::onFrameRecv(int32_t stream_id, uint8_t type, uint8_t flags, bool is_trailer) {
  if (type == NGHTTP2_RST_STREAM && prematureResetFlood()) return NGHTTP2_ERR_CALLBACK_FAILURE;
  auto it = streams_.find(stream_id);
  if (it == streams_.end()) return 0;
  Stream& s = *it->second;
  bool end_stream = flags & NGHTTP2_FLAG_END_STREAM;
  if (type == NGHTTP2_HEADERS && !is_trailer) {
    if (s.head.method == "CONNECT") {
      nghttp2_submit_rst_stream(session_.get(), NGHTTP2_FLAG_NONE, stream_id, NGHTTP2_REFUSED_STREAM);
      return 0;
    }
    s.head.target = std::move(s.path);
    if (!s.authority.empty()) s.head.headers.set("host", s.authority);
    if (!s.cookies.empty()) {
      std::string joined;
      for (const auto& c : s.cookies) joined += (joined.empty() ? "" : "; ") + c;
      s.head.headers.add("cookie", std::move(joined));
    }
    s.head.version_minor = 1;
    s.head.keep_alive = true;
    callbacks_->onH2RequestHead(stream_id, std::move(s.head), end_stream);
  } else if (type == NGHTTP2_HEADERS && is_trailer) {
    callbacks_->onH2Trailers(stream_id, std::move(s.trailers));
  }
  if (end_stream && (type == NGHTTP2_HEADERS || type == NGHTTP2_DATA)) callbacks_->onH2EndStream(stream_id);
  return 0;
}

int H2ServerCodec::onDataChunk(int32_t stream_id, const uint8_t* data, size_t len) {
  if (streams_.contains(stream_id)) {
    callbacks_->onH2Data(stream_id, reinterpret_cast<const char*>(data), len);
  } else {
    nghttp2_session_consume_connection(session_.get(), len);
  }
  return 0;
}

int H2ServerCodec::onStreamClose(int32_t stream_id, uint32_t error_code) {
  if (streams_.erase(stream_id) > 0) callbacks_->onH2StreamClose(stream_id, error_code);
  return 0;
}

void H2ServerCodec::submitResponse(int32_t stream_id, const ResponseHead& head, bool end_stream) {
  std::string status = std::to_string(head.status);
  std::vector<nghttp2_nv> nva = toNva(head.headers, &status);
  if (end_stream) {
    nghttp2_submit_response(session_.get(), stream_id, nva.data(), nva.size(), nullptr);
    return;
  }
  nghttp2_data_provider provider{};
  provider.read_callback = readDataCb;
  nghttp2_submit_response(session_.get(), stream_id, nva.data(), nva.size(), &provider);
}

void H2ServerCodec::sendData(int32_t stream_id, const char* data, size_t len) {
  auto it = streams_.find(stream_id);
  if (it == streams_.end() || len == 0) return;
  Stream& s = *it->second;
  if (s.pending_offset > 0 && s.pending_offset == s.pending.size()) {
    s.pending.clear();
    s.pending_offset = 0;
  }
  s.pending.append(data, len);
  if (s.queued() > settings_.response_buffer_high) s.above_high = true;
  submitData(stream_id);
}

void H2ServerCodec::endStream(int32_t stream_id, const HeaderMap* trailers) {
  auto it = streams_.find(stream_id);
  if (it == streams_.end()) return;
  Stream& s = *it->second;
  s.end_after_pending = true;
  if (trailers && trailers->size()) {
    s.has_trailers = true;
    s.out_trailers = *trailers;
  }
  submitData(stream_id);
}

void H2ServerCodec::submitData(int32_t stream_id) {
  auto it = streams_.find(stream_id);
  if (it != streams_.end() && it->second->deferred) {
    it->second->deferred = false;
    nghttp2_session_resume_data(session_.get(), stream_id);
  }
}

ssize_t H2ServerCodec::readData(int32_t stream_id, uint8_t* buf, size_t length, uint32_t* data_flags) {
  auto it = streams_.find(stream_id);
  if (it == streams_.end()) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  Stream& s = *it->second;
  size_t n = std::min(length, s.queued());
  if (n > 0) {
    std::memcpy(buf, s.pending.data() + s.pending_offset, n);
    s.pending_offset += n;
  }
  if (s.queued() == 0) {
    s.pending.clear();
    s.pending_offset = 0;
    if (s.end_after_pending) {
      *data_flags |= NGHTTP2_DATA_FLAG_EOF;
      if (s.has_trailers) {
        *data_flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
        std::vector<nghttp2_nv> nva = toNva(s.out_trailers, nullptr);
        nghttp2_submit_trailer(session_.get(), stream_id, nva.data(), nva.size());
      }
    } else if (n == 0) {
      s.deferred = true;
      return NGHTTP2_ERR_DEFERRED;
    }
  }
  return static_cast<ssize_t>(n);
}

void H2ServerCodec::resetStream(int32_t stream_id, uint32_t error_code) {
  nghttp2_submit_rst_stream(session_.get(), NGHTTP2_FLAG_NONE, stream_id, error_code);
}

void H2ServerCodec::consume(int32_t stream_id, size_t len) {
  if (len == 0) return;
  if (streams_.contains(stream_id)) nghttp2_session_consume(session_.get(), stream_id, len);
  else nghttp2_session_consume_connection(session_.get(), len);
}

size_t H2ServerCodec::queuedBytes(int32_t stream_id) const {
  auto it = streams_.find(stream_id);
  return it == streams_.end() ? 0 : it->second->queued();
}

void H2ServerCodec::goAway() {
  nghttp2_submit_goaway(session_.get(), NGHTTP2_FLAG_NONE,
                        nghttp2_session_get_last_proc_stream_id(session_.get()), NGHTTP2_NO_ERROR,
                        nullptr, 0);
}

}  // namespace strait::http
