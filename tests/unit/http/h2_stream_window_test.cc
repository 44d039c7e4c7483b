// The client stream id window of the HTTP/2 server (RFC 9113 5.1 / 5.1.1 rules), alone.
#include "sidecar/http/h2_stream_window.h"

#include <gtest/gtest.h>
#include <nghttp2/nghttp2.h>

namespace strait::http {
namespace {

using Verdict = H2StreamWindow::Verdict;
constexpr uint8_t kEnd = NGHTTP2_FLAG_END_STREAM;

Verdict headers(H2StreamWindow& w, int32_t id, uint8_t flags = 0) { return w.onFrame(NGHTTP2_HEADERS, flags, id); }
Verdict data(H2StreamWindow& w, int32_t id, uint8_t flags = 0) { return w.onFrame(NGHTTP2_DATA, flags, id); }
Verdict rst(H2StreamWindow& w, int32_t id) { return w.onFrame(NGHTTP2_RST_STREAM, 0, id); }
Verdict windowUpdate(H2StreamWindow& w, int32_t id) { return w.onFrame(NGHTTP2_WINDOW_UPDATE, 0, id); }
Verdict priority(H2StreamWindow& w, int32_t id) { return w.onFrame(NGHTTP2_PRIORITY, 0, id); }

TEST(H2StreamWindow, NewStreamIdsGoUp) {
  H2StreamWindow w;
  EXPECT_EQ(headers(w, 1, kEnd), Verdict::kNone);
  EXPECT_EQ(headers(w, 5, kEnd), Verdict::kNone);
  EXPECT_EQ(w.highestId(), 5);
  // 3 was skipped (implicitly closed, never opened): opening it now is going backwards.
  EXPECT_EQ(headers(w, 3, kEnd), Verdict::kConnectionProtocolError);
  // Other frames on a skipped id are not judged (nghttp2 ignores them; the RFC only says MAY).
  EXPECT_EQ(data(w, 3), Verdict::kNone);
  EXPECT_EQ(rst(w, 3), Verdict::kNone);
  EXPECT_EQ(priority(w, 3), Verdict::kNone);
}

TEST(H2StreamWindow, FramesOnIdleStreamsAndEvenIdsAreLeftToNghttp2) {
  H2StreamWindow w;
  EXPECT_EQ(data(w, 1), Verdict::kNone);  // idle: nghttp2's PROTOCOL_ERROR
  EXPECT_EQ(w.highestId(), 0);            // only HEADERS opens a stream
  EXPECT_EQ(priority(w, 7), Verdict::kNone);
  EXPECT_EQ(w.highestId(), 0);
  EXPECT_EQ(headers(w, 2), Verdict::kNone);  // even: nghttp2's PROTOCOL_ERROR
  EXPECT_EQ(headers(w, 0), Verdict::kNone);
  EXPECT_EQ(w.highestId(), 0);
}

TEST(H2StreamWindow, AfterTheClientsResetEveryFrameButPriorityIsStreamClosedOnce) {
  H2StreamWindow w;
  EXPECT_EQ(headers(w, 1), Verdict::kNone);
  EXPECT_EQ(data(w, 1), Verdict::kNone);
  EXPECT_EQ(rst(w, 1), Verdict::kNone);
  EXPECT_EQ(priority(w, 1), Verdict::kNone);
  EXPECT_EQ(rst(w, 1), Verdict::kNone);  // never an RST_STREAM for an RST_STREAM (5.4.2)
  EXPECT_EQ(w.onFrame(0x20, 0, 1), Verdict::kNone);  // unknown frame types are ignored (5.5)
  EXPECT_EQ(data(w, 1), Verdict::kStreamClosed);
  EXPECT_EQ(headers(w, 1, kEnd), Verdict::kStreamClosed);
  EXPECT_EQ(windowUpdate(w, 1), Verdict::kStreamClosed);
  // The codec answers with RST_STREAM: from then on the stream counts as reset by us.
  w.onResetSent(1);
  EXPECT_EQ(data(w, 1), Verdict::kNone);
  EXPECT_EQ(windowUpdate(w, 1), Verdict::kNone);
}

TEST(H2StreamWindow, AfterTheClientsEndStreamDataAndHeadersAreConnectionErrors) {
  H2StreamWindow w;
  EXPECT_EQ(headers(w, 1), Verdict::kNone);
  EXPECT_EQ(data(w, 1, kEnd), Verdict::kNone);
  EXPECT_EQ(windowUpdate(w, 1), Verdict::kNone);  // may cross our END_STREAM: ignored
  EXPECT_EQ(data(w, 1), Verdict::kConnectionStreamClosed);
  EXPECT_EQ(headers(w, 1), Verdict::kConnectionStreamClosed);
  EXPECT_EQ(headers(w, 3, kEnd), Verdict::kNone);  // END_STREAM on the HEADERS itself
  EXPECT_EQ(headers(w, 3, kEnd), Verdict::kConnectionStreamClosed);
  EXPECT_EQ(rst(w, 3), Verdict::kNone);  // a reset after END_STREAM is allowed ...
  EXPECT_EQ(data(w, 3), Verdict::kConnectionStreamClosed);  // ... and changes nothing after it
  EXPECT_EQ(headers(w, 5), Verdict::kNone);
  EXPECT_EQ(headers(w, 5, kEnd), Verdict::kNone);  // trailers end the stream
  EXPECT_EQ(data(w, 5), Verdict::kConnectionStreamClosed);
}

TEST(H2StreamWindow, FramesOnAStreamWeResetAreIgnored) {
  H2StreamWindow w;
  EXPECT_EQ(headers(w, 1), Verdict::kNone);
  w.onResetSent(1);  // e.g. a cancelled upstream: the client's body and trailers may follow
  EXPECT_EQ(data(w, 1), Verdict::kNone);
  EXPECT_EQ(headers(w, 1, kEnd), Verdict::kNone);
  EXPECT_EQ(data(w, 1), Verdict::kNone);
  EXPECT_EQ(rst(w, 1), Verdict::kNone);
  EXPECT_EQ(data(w, 1), Verdict::kNone);  // the client's crossing reset changes nothing
  // Ours after the client's END_STREAM: ignored too (5.1: MUST ignore after sending RST_STREAM).
  EXPECT_EQ(headers(w, 3, kEnd), Verdict::kNone);
  w.onResetSent(3);
  EXPECT_EQ(data(w, 3), Verdict::kNone);
  // A stream nghttp2 refused (REFUSED_STREAM) was still used by the client.
  EXPECT_EQ(headers(w, 5), Verdict::kNone);
  w.onResetSent(5);
  EXPECT_EQ(headers(w, 5, kEnd), Verdict::kNone);
  w.onResetSent(7);  // not opened yet: nothing to remember
  EXPECT_EQ(w.highestId(), 5);
}

TEST(H2StreamWindow, IdsOlderThanTheWindowAreNotJudged) {
  H2StreamWindow w;
  constexpr int32_t kSpan = 2 * static_cast<int32_t>(H2StreamWindow::kWindow);
  EXPECT_EQ(headers(w, 1), Verdict::kNone);
  EXPECT_EQ(rst(w, 1), Verdict::kNone);
  for (int32_t id = 3; id < kSpan; id += 2) EXPECT_EQ(headers(w, id, kEnd), Verdict::kNone);
  // Stream 1 is the oldest the window holds ...
  EXPECT_EQ(w.highestId(), kSpan - 1);
  EXPECT_EQ(data(w, 1), Verdict::kStreamClosed);
  // ... one more stream and it is forgotten: conservative, nothing is judged.
  EXPECT_EQ(headers(w, kSpan + 1, kEnd), Verdict::kNone);
  EXPECT_EQ(data(w, 1), Verdict::kNone);
  EXPECT_EQ(headers(w, 1), Verdict::kNone);
  EXPECT_EQ(data(w, 3), Verdict::kConnectionStreamClosed);  // still in the window
}

TEST(H2StreamWindow, AJumpClearsTheSkippedIds) {
  H2StreamWindow w;
  constexpr int32_t kSpan = 2 * static_cast<int32_t>(H2StreamWindow::kWindow);
  for (int32_t id = 1; id < kSpan; id += 2) EXPECT_EQ(headers(w, id, kEnd), Verdict::kNone);
  // A jump of less than the window reuses the slots of the oldest ids (wrapping the ring):
  // the ids skipped read as never opened, the ones not passed keep their state.
  const int32_t jump = kSpan - 1 + 2 * 301;
  EXPECT_EQ(headers(w, jump, kEnd), Verdict::kNone);
  EXPECT_EQ(headers(w, jump - 2), Verdict::kConnectionProtocolError);
  EXPECT_EQ(headers(w, kSpan + 1), Verdict::kConnectionProtocolError);
  EXPECT_EQ(data(w, kSpan - 1), Verdict::kConnectionStreamClosed);
  EXPECT_EQ(data(w, jump - kSpan + 2), Verdict::kConnectionStreamClosed);  // the oldest id kept
  EXPECT_EQ(data(w, jump - kSpan), Verdict::kNone);                        // forgotten
  // A jump of more than the window clears everything.
  const int32_t far = jump + 10 * kSpan;
  EXPECT_EQ(headers(w, far, kEnd), Verdict::kNone);
  EXPECT_EQ(headers(w, far - 2), Verdict::kConnectionProtocolError);
  EXPECT_EQ(headers(w, far - kSpan + 2), Verdict::kConnectionProtocolError);
  EXPECT_EQ(data(w, jump), Verdict::kNone);  // outside the window now
}

TEST(H2StreamWindow, TheLargestStreamIds) {
  H2StreamWindow w;
  constexpr int32_t kMax = 0x7FFFFFFF;
  EXPECT_EQ(headers(w, 1), Verdict::kNone);
  EXPECT_EQ(headers(w, kMax - 4), Verdict::kNone);
  EXPECT_EQ(headers(w, kMax), Verdict::kNone);
  EXPECT_EQ(w.highestId(), kMax);
  EXPECT_EQ(headers(w, kMax - 2), Verdict::kConnectionProtocolError);
  EXPECT_EQ(rst(w, kMax - 4), Verdict::kNone);
  EXPECT_EQ(data(w, kMax - 4), Verdict::kStreamClosed);
  EXPECT_EQ(data(w, 1), Verdict::kNone);  // far outside the window
}

TEST(H2StreamWindow, StaysSmall) { EXPECT_LE(sizeof(H2StreamWindow), 520u); }

}  // namespace
}  // namespace strait::http
