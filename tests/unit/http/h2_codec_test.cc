// The HTTP/2 server codec against a real nghttp2 client session, in memory.
#include "sidecar/http/h2_codec.h"

#include <gtest/gtest.h>
#include <nghttp2/nghttp2.h>

#include <map>
#include <string>
#include <vector>

namespace strait::http {
namespace {

// Records what the codec reports.
struct Recorder : CodecCallbacks {
  std::map<int32_t, RequestHead> heads;
  std::map<int32_t, std::string> bodies;
  std::map<int32_t, HeaderMap> trailers;
  std::vector<int32_t> ended, closed;
  void onRequestHead(StreamId id, RequestHead&& head, BodyFraming, uint64_t) override {
    heads[id] = std::move(head);
  }
  void onBody(StreamId id, const char* data, size_t len) override { bodies[id].append(data, len); }
  void onTrailers(StreamId id, HeaderMap&& t) override { trailers[id] = std::move(t); }
  void onMessageComplete(StreamId id) override { ended.push_back(id); }
  void onStreamClose(StreamId id, uint32_t) override { closed.push_back(id); }
};

// A minimal nghttp2 client that records the response.
class Client {
 public:
  Client() {
    nghttp2_session_callbacks* cbs;
    nghttp2_session_callbacks_new(&cbs);
    nghttp2_session_callbacks_set_on_header_callback(
        cbs, [](nghttp2_session*, const nghttp2_frame* f, const uint8_t* n, size_t nl, const uint8_t* v,
                size_t vl, uint8_t, void* u) {
          auto* c = static_cast<Client*>(u);
          std::string name(reinterpret_cast<const char*>(n), nl), value(reinterpret_cast<const char*>(v), vl);
          (f->headers.cat == NGHTTP2_HCAT_HEADERS ? c->trailers : c->headers)[name] = value;
          return 0;
        });
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(
        cbs, [](nghttp2_session*, uint8_t, int32_t, const uint8_t* d, size_t l, void* u) {
          static_cast<Client*>(u)->body.append(reinterpret_cast<const char*>(d), l);
          return 0;
        });
    nghttp2_session_callbacks_set_on_stream_close_callback(
        cbs, [](nghttp2_session*, int32_t, uint32_t code, void* u) {
          static_cast<Client*>(u)->closed = true;
          static_cast<Client*>(u)->close_code = code;
          return 0;
        });
    nghttp2_session_client_new(&session, cbs, this);
    nghttp2_session_callbacks_del(cbs);
    nghttp2_submit_settings(session, NGHTTP2_FLAG_NONE, nullptr, 0);
  }
  ~Client() { nghttp2_session_del(session); }

  int32_t request(std::vector<std::pair<std::string, std::string>> fields, const std::string* body) {
    std::vector<nghttp2_nv> nva;
    for (auto& [k, v] : fields) {
      nva.push_back({reinterpret_cast<uint8_t*>(k.data()), reinterpret_cast<uint8_t*>(v.data()), k.size(),
                     v.size(), NGHTTP2_NV_FLAG_NONE});
    }
    upload = body ? *body : "";
    nghttp2_data_provider p{};
    p.source.ptr = this;
    p.read_callback = [](nghttp2_session*, int32_t, uint8_t* buf, size_t len, uint32_t* flags,
                         nghttp2_data_source* src, void*) -> ssize_t {
      auto* c = static_cast<Client*>(src->ptr);
      size_t n = std::min(len, c->upload.size() - c->sent);
      memcpy(buf, c->upload.data() + c->sent, n);
      c->sent += n;
      if (c->sent == c->upload.size()) *flags |= NGHTTP2_DATA_FLAG_EOF;
      return static_cast<ssize_t>(n);
    };
    return nghttp2_submit_request(session, nullptr, nva.data(), nva.size(), body ? &p : nullptr, nullptr);
  }
  std::string output() {
    std::string out;
    const uint8_t* d;
    ssize_t n;
    while ((n = nghttp2_session_mem_send(session, &d)) > 0) out.append(reinterpret_cast<const char*>(d), n);
    return out;
  }
  void input(const std::string& in) {
    nghttp2_session_mem_recv(session, reinterpret_cast<const uint8_t*>(in.data()), in.size());
  }

  nghttp2_session* session = nullptr;
  std::map<std::string, std::string> headers, trailers;
  std::string body, upload;
  size_t sent = 0;
  bool closed = false;
  uint32_t close_code = 0;
};

// Moves bytes both ways until neither side has anything to say.
void pump(Client& client, H2ServerCodec& server) {
  for (int i = 0; i < 100; i++) {
    std::string c2s = client.output();
    if (!c2s.empty()) {
      ASSERT_TRUE(server.execute(c2s.data(), c2s.size()));
    }
    std::string s2c;
    server.takeOutput(&s2c);
    if (!s2c.empty()) client.input(s2c);
    if (c2s.empty() && s2c.empty()) return;
  }
}

std::vector<std::pair<std::string, std::string>> get(const std::string& path) {
  return {{":method", "GET"}, {":scheme", "http"}, {":authority", "example.com"}, {":path", path},
          {"cookie", "a=1"}, {"cookie", "b=2"}, {"x-custom", "v"}};
}

TEST(H2ServerCodec, RequestHeadIsTranslated) {
  Recorder rec;
  H2ServerCodec server(&rec);
  Client client;
  int32_t id = client.request(get("/p?q=1"), nullptr);
  pump(client, server);
  ASSERT_EQ(rec.heads.count(id), 1u);
  const RequestHead& h = rec.heads[id];
  EXPECT_EQ(h.method, "GET");
  EXPECT_EQ(h.target, "/p?q=1");
  ASSERT_NE(h.headers.get("host"), nullptr);
  EXPECT_EQ(*h.headers.get("host"), "example.com");
  EXPECT_EQ(*h.headers.get("cookie"), "a=1; b=2");
  EXPECT_EQ(*h.headers.get("x-custom"), "v");
  EXPECT_EQ(rec.ended, std::vector<int32_t>{id});
}

TEST(H2ServerCodec, ResponseWithBodyAndTrailers) {
  Recorder rec;
  H2ServerCodec server(&rec);
  Client client;
  int32_t id = client.request(get("/"), nullptr);
  pump(client, server);
  ResponseHead head;
  head.status = 200;
  head.headers.add("content-type", "application/grpc");
  head.headers.add("connection", "keep-alive");  // connection-specific: must not be sent
  server.submitResponse(id, head, false);
  server.sendData(id, "hello ", 6);
  server.sendData(id, "world", 5);
  HeaderMap trailers;
  trailers.add("grpc-status", "0");
  server.endStream(id, &trailers);
  pump(client, server);
  EXPECT_EQ(client.headers[":status"], "200");
  EXPECT_EQ(client.headers.count("connection"), 0u);
  EXPECT_EQ(client.body, "hello world");
  EXPECT_EQ(client.trailers["grpc-status"], "0");
  EXPECT_TRUE(client.closed);
  EXPECT_EQ(client.close_code, 0u);
}

TEST(H2ServerCodec, InterimResponseComesBeforeTheFinalOne) {
  Recorder rec;
  H2ServerCodec server(&rec);
  Client client;
  std::string body = "payload";
  int32_t id = client.request({{":method", "POST"}, {":scheme", "http"}, {":authority", "a"}, {":path", "/"},
                               {"expect", "100-continue"}}, &body);
  pump(client, server);
  ResponseHead interim;
  interim.status = 100;
  server.submitInterim(id, interim);
  pump(client, server);
  EXPECT_EQ(client.headers[":status"], "100");
  EXPECT_FALSE(client.closed);
  ResponseHead final_head;
  final_head.status = 204;
  server.submitResponse(id, final_head, true);
  pump(client, server);
  // nghttp2 reports the head that follows a 1xx in the HEADERS category (this test client
  // files those under `trailers`).
  EXPECT_EQ(client.trailers[":status"], "204");
  EXPECT_TRUE(client.closed);
}

TEST(H2ServerCodec, UploadIsFlowControlledUntilConsumed) {
  Recorder rec;
  H2Settings settings;
  settings.initial_window_size = 65535;
  H2ServerCodec server(&rec, settings);
  Client client;
  std::string body(1 << 20, 'x');
  int32_t id = client.request({{":method", "POST"}, {":scheme", "http"}, {":authority", "a"}, {":path", "/"}}, &body);
  pump(client, server);
  // Nothing consumed: the client may not have sent more than the stream window.
  EXPECT_LE(rec.bodies[id].size(), 65535u);
  EXPECT_GT(rec.bodies[id].size(), 0u);
  for (int i = 0; i < 200 && rec.bodies[id].size() < body.size(); i++) {
    server.consume(id, rec.bodies[id].size());
    size_t before = rec.bodies[id].size();
    pump(client, server);
    server.consume(id, rec.bodies[id].size() - before);
    pump(client, server);
  }
  EXPECT_EQ(rec.bodies[id].size(), body.size());
  EXPECT_EQ(rec.ended, std::vector<int32_t>{id});
}

TEST(H2ServerCodec, BadPrefaceIsAConnectionError) {
  Recorder rec;
  H2ServerCodec server(&rec);
  std::string junk = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
  EXPECT_FALSE(server.execute(junk.data(), junk.size()));
}

TEST(H2ServerCodec, ConnectionSpecificRequestHeaderResetsTheStream) {
  Recorder rec;
  H2ServerCodec server(&rec);
  Client client;
  auto fields = get("/");
  fields.emplace_back("connection", "close");
  int32_t id = client.request(fields, nullptr);
  pump(client, server);
  EXPECT_EQ(rec.heads.count(id), 0u);
  EXPECT_TRUE(client.closed);
  EXPECT_EQ(client.close_code, static_cast<uint32_t>(NGHTTP2_PROTOCOL_ERROR));
}

TEST(H2ServerCodec, RequestHeadOverTheLimitIsAnswered431) {
  Recorder rec;
  H2Settings settings;
  settings.max_header_list_size = 1024;
  H2ServerCodec server(&rec, settings);
  Client client;
  auto fields = get("/big");
  fields.emplace_back("x-big", std::string(1200, 'b'));
  std::string body = "payload";
  int32_t id = client.request(fields, &body);  // a body follows the head: drained, dropped
  pump(client, server);
  EXPECT_EQ(rec.heads.count(id), 0u);  // never reaches the stream callbacks
  EXPECT_EQ(client.headers[":status"], "431");
  EXPECT_EQ(client.headers["x-strait-local-reply"], "request_headers_too_large");
  EXPECT_TRUE(client.closed);
  EXPECT_EQ(client.close_code, static_cast<uint32_t>(NGHTTP2_NO_ERROR));
  // The connection goes on: a small request is served.
  client.headers.clear();
  int32_t next = client.request(get("/small"), nullptr);
  pump(client, server);
  EXPECT_EQ(rec.heads.count(next), 1u);
}

// Feeds `n` client PINGs (each its own frame) to the server at `now_ms`.
bool pings(Client& client, H2ServerCodec& server, int n, int64_t now_ms) {
  for (int i = 0; i < n; i++) nghttp2_submit_ping(client.session, NGHTTP2_FLAG_NONE, nullptr);
  std::string c2s = client.output();
  server.setNowMs(now_ms);
  bool ok = server.execute(c2s.data(), c2s.size());
  std::string s2c;
  server.takeOutput(&s2c);
  client.input(s2c);
  return ok;
}

TEST(H2ServerCodec, ControlFramesOverTheBudgetOfAWindowAreAFlood) {
  Recorder rec;
  H2Settings settings;
  settings.max_control_frames = 50;
  H2ServerCodec server(&rec, settings);
  Client client;
  EXPECT_TRUE(pings(client, server, 40, 1000));
  // A new window starts the count again: 40 + 40 in two windows is fine ...
  EXPECT_TRUE(pings(client, server, 40, 1000 + H2ServerCodec::kControlFrameWindowMs));
  // ... 40 + 20 in one is not.
  EXPECT_FALSE(pings(client, server, 20, 2000 + H2ServerCodec::kControlFrameWindowMs));
  EXPECT_EQ(server.error(), "flood");
}

TEST(H2ServerCodec, RefusedHeadsPastTheLimitEndTheConnection) {
  Recorder rec;
  H2Settings settings;
  settings.max_header_list_size = 1024;
  settings.max_refused_header_blocks = 3;
  H2ServerCodec server(&rec, settings);
  Client client;
  auto fields = get("/big");
  fields.emplace_back("x-big", std::string(1200, 'b'));
  for (int i = 0; i < 3; i++) client.request(fields, nullptr);
  pump(client, server);  // three 431s: still within the limit
  EXPECT_FALSE(server.failed());
  client.request(fields, nullptr);
  std::string c2s = client.output();
  EXPECT_FALSE(server.execute(c2s.data(), c2s.size()));
  EXPECT_EQ(server.error(), "flood");
}

// --- Stream states (RFC 9113 5.1 / 5.1.1) with raw frames: an nghttp2 client never breaks them.

struct Frame {
  uint8_t type, flags;
  int32_t stream_id;
  std::string payload;
  uint32_t code() const {  // RST_STREAM's error code, or GOAWAY's
    size_t at = type == NGHTTP2_GOAWAY ? 4 : 0;
    if (payload.size() < at + 4) return ~0u;
    auto b = [&](size_t i) { return static_cast<uint32_t>(static_cast<uint8_t>(payload[at + i])); };
    return b(0) << 24 | b(1) << 16 | b(2) << 8 | b(3);
  }
};

std::string u32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
}

std::string frame(uint8_t type, uint8_t flags, int32_t stream_id, const std::string& payload = "") {
  std::string out = u32(static_cast<uint32_t>(payload.size())).substr(1);
  out += static_cast<char>(type);
  out += static_cast<char>(flags);
  return out + u32(static_cast<uint32_t>(stream_id)) + payload;
}

// HPACK literal without indexing, new name, no Huffman (short names and values only).
std::string literal(const std::string& name, const std::string& value) {
  return std::string(1, '\0') + static_cast<char>(name.size()) + name + static_cast<char>(value.size()) + value;
}

constexpr uint8_t kEndStream = NGHTTP2_FLAG_END_STREAM, kEndHeaders = NGHTTP2_FLAG_END_HEADERS;

// A GET (:method GET and :scheme http from the static table); END_STREAM unless `open`.
std::string get(int32_t stream_id, bool open = false) {
  std::string block = "\x82\x86" + literal(":path", "/") + literal(":authority", "a");
  return frame(NGHTTP2_HEADERS, kEndHeaders | (open ? 0 : kEndStream), stream_id, block);
}
std::string trailers(int32_t stream_id) {
  return frame(NGHTTP2_HEADERS, kEndHeaders | kEndStream, stream_id, literal("x-trailer", "t"));
}
std::string data(int32_t stream_id, uint8_t flags = 0) { return frame(NGHTTP2_DATA, flags, stream_id, "late"); }
std::string rst(int32_t stream_id) { return frame(NGHTTP2_RST_STREAM, 0, stream_id, u32(NGHTTP2_CANCEL)); }
std::string windowUpdate(int32_t stream_id) { return frame(NGHTTP2_WINDOW_UPDATE, 0, stream_id, u32(100)); }
std::string preface() { return std::string(NGHTTP2_CLIENT_MAGIC, NGHTTP2_CLIENT_MAGIC_LEN) + frame(NGHTTP2_SETTINGS, 0, 0); }

std::vector<Frame> parseFrames(const std::string& out) {
  std::vector<Frame> frames;
  for (size_t at = 0; at + 9 <= out.size();) {
    auto b = [&](size_t i) { return static_cast<uint32_t>(static_cast<uint8_t>(out[at + i])); };
    size_t len = b(0) << 16 | b(1) << 8 | b(2);
    int32_t id = static_cast<int32_t>((b(5) & 0x7F) << 24 | b(6) << 16 | b(7) << 8 | b(8));
    frames.push_back({static_cast<uint8_t>(b(3)), static_cast<uint8_t>(b(4)), id, out.substr(at + 9, len)});
    at += 9 + len;
  }
  return frames;
}

// A server fed raw client bytes; `split` feeds them one byte per execute() call.
struct RawServer {
  explicit RawServer(H2Settings settings = {}) : server(&rec, settings) {}
  bool feed(const std::string& bytes, bool split = false) {
    bool ok = true;
    if (split) {
      for (char c : bytes) ok = server.execute(&c, 1) && ok;
    } else {
      ok = server.execute(bytes.data(), bytes.size());
    }
    server.takeOutput(&out);
    return ok;
  }
  // The RST_STREAM error codes sent on `stream_id`.
  std::vector<uint32_t> resets(int32_t stream_id) const {
    std::vector<uint32_t> codes;
    for (const Frame& f : parseFrames(out)) {
      if (f.type == NGHTTP2_RST_STREAM && f.stream_id == stream_id) codes.push_back(f.code());
    }
    return codes;
  }
  // The GOAWAY's error code, or -1 without one.
  int64_t goaway() const {
    for (const Frame& f : parseFrames(out)) {
      if (f.type == NGHTTP2_GOAWAY) return f.code();
    }
    return -1;
  }
  Recorder rec;
  H2ServerCodec server;
  std::string out;
};

TEST(H2ServerCodecStreamStates, ANewStreamIdBelowOneUsedIsAProtocolError) {
  for (bool split : {false, true}) {
    RawServer s;
    EXPECT_FALSE(s.feed(preface() + get(1) + get(5) + get(3), split));
    EXPECT_EQ(s.goaway(), NGHTTP2_PROTOCOL_ERROR);
    EXPECT_EQ(s.server.error(), "protocol");
    EXPECT_EQ(s.rec.heads.count(5), 1u);
    EXPECT_EQ(s.rec.heads.count(3), 0u);
  }
}

TEST(H2ServerCodecStreamStates, FramesAfterTheClientsResetAreAnsweredStreamClosedOnce) {
  for (bool split : {false, true}) {
    RawServer s;
    std::string in = preface() + get(1, /*open=*/true) + rst(1) + data(1) + frame(NGHTTP2_PRIORITY, 0, 1, u32(0) + "\x10") +
                     trailers(1) + windowUpdate(1) + rst(1) + get(3);
    EXPECT_TRUE(s.feed(in, split));
    EXPECT_EQ(s.resets(1), std::vector<uint32_t>{NGHTTP2_STREAM_CLOSED});  // then ignored: reset by us
    EXPECT_EQ(s.goaway(), -1);
    EXPECT_EQ(s.rec.bodies.count(1), 0u);
    EXPECT_EQ(s.rec.trailers.count(1), 0u);
    EXPECT_EQ(s.rec.heads.count(3), 1u);  // the connection goes on
  }
}

TEST(H2ServerCodecStreamStates, EachFrameAfterTheClientsResetIsAnswered) {
  for (const std::string& late : {data(1), trailers(1), windowUpdate(1)}) {
    RawServer s;
    EXPECT_TRUE(s.feed(preface() + get(1, /*open=*/true) + rst(1)));
    EXPECT_TRUE(s.feed(late));
    EXPECT_EQ(s.resets(1), std::vector<uint32_t>{NGHTTP2_STREAM_CLOSED});
    EXPECT_EQ(s.goaway(), -1);
  }
}

TEST(H2ServerCodecStreamStates, DataOrHeadersAfterTheClientsEndStreamEndTheConnection) {
  for (const std::string& late : {data(1), trailers(1), get(1)}) {
    RawServer s;
    EXPECT_TRUE(s.feed(preface() + get(1)));
    ResponseHead head;
    head.status = 204;
    s.server.submitResponse(1, head, /*end_stream=*/true);  // stream 1 is closed once it is out
    EXPECT_TRUE(s.feed(""));
    EXPECT_FALSE(s.feed(late));
    EXPECT_EQ(s.goaway(), NGHTTP2_STREAM_CLOSED);
    EXPECT_EQ(s.resets(1), std::vector<uint32_t>{});
  }
}

TEST(H2ServerCodecStreamStates, WindowUpdateOrResetAfterTheStreamClosedAreIgnored) {
  RawServer s;
  EXPECT_TRUE(s.feed(preface() + get(1)));
  ResponseHead head;
  head.status = 204;
  s.server.submitResponse(1, head, /*end_stream=*/true);
  EXPECT_TRUE(s.feed(""));
  EXPECT_TRUE(s.feed(windowUpdate(1) + rst(1) + windowUpdate(1) + get(3)));
  EXPECT_EQ(s.goaway(), -1);
  EXPECT_EQ(s.resets(1), std::vector<uint32_t>{});
  EXPECT_EQ(s.rec.heads.count(3), 1u);
}

TEST(H2ServerCodecStreamStates, FramesOnAStreamWeResetAreIgnored) {
  // The upstream was cancelled: our RST_STREAM CANCEL crosses the client's body and trailers,
  // which arrive before (`sent` false) or after the RST_STREAM left.
  for (bool sent : {false, true}) {
    RawServer s;
    EXPECT_TRUE(s.feed(preface() + get(1, /*open=*/true) + data(1)));
    s.server.resetStream(1, NGHTTP2_CANCEL);
    if (sent) {
      EXPECT_TRUE(s.feed(""));
    }
    EXPECT_TRUE(s.feed(data(1) + trailers(1) + data(1, kEndStream) + windowUpdate(1) + rst(1) + get(3)));
    EXPECT_EQ(s.resets(1), std::vector<uint32_t>{NGHTTP2_CANCEL});
    EXPECT_EQ(s.goaway(), -1);
    EXPECT_EQ(s.rec.heads.count(3), 1u);
  }
}

TEST(H2ServerCodecStreamStates, FramesOnAStreamNghttp2ResetAreIgnored) {
  // A request head with a connection-specific field: nghttp2 resets the stream itself
  // (PROTOCOL_ERROR, 8.2.2). The client's body and trailers may still come.
  RawServer s;
  std::string block = "\x82\x86" + literal(":path", "/") + literal(":authority", "a") + literal("connection", "close");
  EXPECT_TRUE(s.feed(preface() + frame(NGHTTP2_HEADERS, kEndHeaders, 1, block) + data(1)));
  EXPECT_EQ(s.resets(1), std::vector<uint32_t>{NGHTTP2_PROTOCOL_ERROR});
  EXPECT_TRUE(s.feed(data(1) + trailers(1) + windowUpdate(1) + get(3)));
  EXPECT_EQ(s.resets(1), std::vector<uint32_t>{NGHTTP2_PROTOCOL_ERROR});
  EXPECT_EQ(s.goaway(), -1);
  EXPECT_EQ(s.rec.heads.count(3), 1u);
}

TEST(H2ServerCodecStreamStates, FramesOnARefusedStreamAreIgnored) {
  RawServer s;
  std::string connect = literal(":method", "CONNECT") + literal(":authority", "a:443");
  EXPECT_TRUE(s.feed(preface() + frame(NGHTTP2_HEADERS, kEndHeaders, 1, connect) + data(1) + trailers(1) + get(3)));
  EXPECT_EQ(s.resets(1), std::vector<uint32_t>{NGHTTP2_REFUSED_STREAM});
  EXPECT_EQ(s.goaway(), -1);
  EXPECT_EQ(s.rec.heads.count(3), 1u);
}

TEST(H2ServerCodecStreamStates, AnswersCountAgainstTheControlFrameBudget) {
  H2Settings settings;
  settings.max_control_frames = 4;  // the client's SETTINGS and two RST_STREAMs, our first answer
  RawServer s(settings);
  EXPECT_TRUE(s.feed(preface() + get(1, true) + rst(1) + data(1) + get(3, true) + rst(3)));
  EXPECT_FALSE(s.feed(data(3)));  // the second answer is one too many
  EXPECT_EQ(s.goaway(), NGHTTP2_ENHANCE_YOUR_CALM);
  EXPECT_EQ(s.server.error(), "flood");
}

TEST(H2ServerCodecStreamStates, OldStreamsAreForgotten) {
  // Stream 1 reset by the client, then kWindow newer streams (each answered, so that they
  // close): a late frame on 1 is ignored (as nghttp2 does), no longer judged.
  RawServer s;
  EXPECT_TRUE(s.feed(preface() + get(1, true) + rst(1)));
  ResponseHead head;
  head.status = 204;
  const int32_t last = 2 * static_cast<int32_t>(H2StreamWindow::kWindow) + 1;
  for (int32_t id = 3; id <= last; id += 2) {
    ASSERT_TRUE(s.feed(get(id)));
    s.server.submitResponse(id, head, /*end_stream=*/true);
  }
  EXPECT_TRUE(s.feed(data(1) + get(last + 2)));
  EXPECT_EQ(s.resets(1), std::vector<uint32_t>{});
  EXPECT_EQ(s.goaway(), -1);
  EXPECT_EQ(s.rec.heads.count(last + 2), 1u);
  // One stream fewer and it would have been answered.
  RawServer t;
  EXPECT_TRUE(t.feed(preface() + get(1, true) + rst(1)));
  for (int32_t id = 3; id < last; id += 2) {
    ASSERT_TRUE(t.feed(get(id)));
    t.server.submitResponse(id, head, /*end_stream=*/true);
  }
  EXPECT_TRUE(t.feed(data(1)));
  EXPECT_EQ(t.resets(1), std::vector<uint32_t>{NGHTTP2_STREAM_CLOSED});
}

}  // namespace
}  // namespace strait::http
