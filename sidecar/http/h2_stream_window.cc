#include "sidecar/http/h2_stream_window.h"

#include <nghttp2/nghttp2.h>

#include <cstring>

namespace strait::http {

static_assert((H2StreamWindow::kWindow & (H2StreamWindow::kWindow - 1)) == 0, "kWindow is a power of two");
static_assert(sizeof(H2StreamWindow) <= H2StreamWindow::kWindow / 2 + 8, "the window stays small and inline");

H2StreamWindow::Verdict H2StreamWindow::onFrame(uint8_t type, uint8_t flags, int32_t stream_id) {
  // Stream 0 and even ids (which a client may not open): nghttp2 judges them.
  if (stream_id <= 0 || (stream_id & 1) == 0) return Verdict::kNone;
  if (stream_id > highest_) {
    // A new stream, whatever nghttp2 makes of it (it may refuse it: then it resets it). Any
    // other frame on an idle stream is nghttp2's to refuse.
    if (type == NGHTTP2_HEADERS) open(stream_id, (flags & NGHTTP2_FLAG_END_STREAM) ? kEnded : kOpen);
    return Verdict::kNone;
  }
  int32_t slot = slotOf(stream_id);
  if (slot < 0) return Verdict::kNone;  // older than the window: unknown, so allowed
  const bool data_or_headers = type == NGHTTP2_DATA || type == NGHTTP2_HEADERS;
  switch (get(static_cast<uint32_t>(slot))) {
    case kUnused:
      return type == NGHTTP2_HEADERS ? Verdict::kConnectionProtocolError : Verdict::kNone;
    case kOpen:
      if (type == NGHTTP2_RST_STREAM) set(static_cast<uint32_t>(slot), kPeerReset);
      else if (data_or_headers && (flags & NGHTTP2_FLAG_END_STREAM)) set(static_cast<uint32_t>(slot), kEnded);
      return Verdict::kNone;
    case kEnded:
      return data_or_headers ? Verdict::kConnectionStreamClosed : Verdict::kNone;
    case kPeerReset:
      return data_or_headers || type == NGHTTP2_WINDOW_UPDATE ? Verdict::kStreamClosed : Verdict::kNone;
    case kWeReset:
      return Verdict::kNone;
  }
  return Verdict::kNone;
}

void H2StreamWindow::onResetSent(int32_t stream_id) {
  if (stream_id <= 0 || (stream_id & 1) == 0) return;
  int32_t slot = slotOf(stream_id);
  if (slot >= 0) set(static_cast<uint32_t>(slot), kWeReset);
}

int32_t H2StreamWindow::slotOf(int32_t stream_id) const {
  if (stream_id > highest_ || static_cast<uint32_t>(highest_ - stream_id) / 2 >= kWindow) return -1;
  return static_cast<int32_t>((static_cast<uint32_t>(stream_id) / 2) % kWindow);
}

// Slides the window up to `stream_id`: the slots of the ids it passes are reused, so they are
// cleared (the ids skipped between the old highest and the new one were never opened).
void H2StreamWindow::open(int32_t stream_id, State state) {
  const uint32_t new_index = static_cast<uint32_t>(stream_id) / 2;
  if (highest_ > 0) {
    const uint32_t old_index = static_cast<uint32_t>(highest_) / 2;
    const uint32_t passed = new_index - old_index;  // >= 1
    if (passed >= kWindow) {
      states_.fill(0);
    } else {
      const uint32_t from = (old_index + 1) % kWindow;
      if (from + passed <= kWindow) {
        clear(from, from + passed);
      } else {
        clear(from, kWindow);
        clear(0, from + passed - kWindow);
      }
    }
  }
  highest_ = stream_id;
  set(new_index % kWindow, state);
}

void H2StreamWindow::set(uint32_t slot, State state) {
  const unsigned shift = (slot & 1) * 4;
  uint8_t& byte = states_[slot / 2];
  byte = static_cast<uint8_t>((byte & ~(0xF << shift)) | (state << shift));
}

void H2StreamWindow::clear(uint32_t from, uint32_t to) {
  if (from < to && (from & 1)) set(from++, kUnused);
  if (from < to && (to & 1)) set(--to, kUnused);
  if (from < to) std::memset(&states_[from / 2], 0, (to - from) / 2);
}

}  // namespace strait::http
