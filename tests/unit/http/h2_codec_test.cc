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

}  // namespace
}  // namespace strait::http
