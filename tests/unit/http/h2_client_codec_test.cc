// The HTTP/2 client codec against the server codec, in memory: both ends are ours, so this
// checks the translation each way and the stream life cycle.
#include "sidecar/http/h2_client_codec.h"

#include <gtest/gtest.h>
#include <nghttp2/nghttp2.h>

#include <map>
#include <string>
#include <vector>

#include "sidecar/http/h2_codec.h"

namespace strait::http {
namespace {

struct ServerSide : CodecCallbacks {
  std::map<int32_t, RequestHead> heads;
  std::map<int32_t, std::string> bodies;
  std::vector<int32_t> ended;
  void onRequestHead(StreamId id, RequestHead&& head, BodyFraming, uint64_t) override { heads[id] = std::move(head); }
  void onBody(StreamId id, const char* d, size_t n) override { bodies[id].append(d, n); }
  void onTrailers(StreamId, HeaderMap&&) override {}
  void onMessageComplete(StreamId id) override { ended.push_back(id); }
  void onStreamClose(StreamId, uint32_t) override {}
};

struct ClientSide : CodecCallbacks {
  std::map<int32_t, ResponseHead> heads;
  std::map<int32_t, std::string> bodies;
  std::map<int32_t, HeaderMap> trailers;
  std::vector<int32_t> ended;
  std::map<int32_t, uint32_t> closed;
  int32_t goaway_last = -1;
  void onResponseHead(StreamId id, ResponseHead&& head, BodyFraming, uint64_t) override { heads[id] = std::move(head); }
  void onBody(StreamId id, const char* d, size_t n) override { bodies[id].append(d, n); }
  void onTrailers(StreamId id, HeaderMap&& t) override { trailers[id] = std::move(t); }
  void onMessageComplete(StreamId id) override { ended.push_back(id); }
  void onStreamClose(StreamId id, uint32_t code) override { closed[id] = code; }
  void onGoAway(StreamId last, uint32_t) override { goaway_last = last; }
};

void pump(H2ClientCodec& client, H2ServerCodec& server) {
  for (int i = 0; i < 100; i++) {
    std::string c2s, s2c;
    client.takeOutput(&c2s);
    if (!c2s.empty()) {
      ASSERT_TRUE(server.execute(c2s.data(), c2s.size()));
    }
    server.takeOutput(&s2c);
    if (!s2c.empty()) {
      ASSERT_TRUE(client.execute(s2c.data(), s2c.size()));
    }
    if (c2s.empty() && s2c.empty()) return;
  }
}

RequestHead post(const std::string& path) {
  RequestHead head;
  head.method = "POST";
  head.target = path;
  head.headers.add("host", "svc.local");
  head.headers.add("content-type", "application/grpc");
  head.headers.add("te", "trailers");
  head.headers.add("connection", "keep-alive");  // must be dropped on HTTP/2
  return head;
}

TEST(H2ClientCodec, RequestAndResponseWithTrailersRoundTrip) {
  ServerSide ss;
  ClientSide cs;
  H2ServerCodec server(&ss);
  H2ClientCodec client(&cs);
  int32_t id = client.submitRequest(post("/pkg.Svc/Call"), "http", false);
  ASSERT_GT(id, 0);
  client.sendData(id, "request-bytes", 13);
  client.endStream(id, nullptr);
  pump(client, server);
  ASSERT_EQ(ss.heads.count(id), 1u);
  EXPECT_EQ(ss.heads[id].method, "POST");
  EXPECT_EQ(ss.heads[id].target, "/pkg.Svc/Call");
  EXPECT_EQ(*ss.heads[id].headers.get("host"), "svc.local");
  EXPECT_EQ(*ss.heads[id].headers.get("te"), "trailers");
  EXPECT_EQ(ss.heads[id].headers.get("connection"), nullptr);
  EXPECT_EQ(ss.bodies[id], "request-bytes");
  server.consume(id, 13);

  ResponseHead resp;
  resp.status = 200;
  resp.headers.add("content-type", "application/grpc");
  server.submitResponse(id, resp, false);
  server.sendData(id, "reply", 5);
  HeaderMap trailers;
  trailers.add("grpc-status", "0");
  trailers.add("grpc-message", "fine");
  server.endStream(id, &trailers);
  pump(client, server);
  EXPECT_EQ(cs.heads[id].status, 200);
  EXPECT_EQ(cs.bodies[id], "reply");
  EXPECT_EQ(*cs.trailers[id].get("grpc-status"), "0");
  EXPECT_EQ(*cs.trailers[id].get("grpc-message"), "fine");
  EXPECT_EQ(cs.ended, std::vector<int32_t>{id});
  EXPECT_EQ(cs.closed[id], 0u);
}

TEST(H2ClientCodec, LearnsMaxConcurrentStreams) {
  ServerSide ss;
  ClientSide cs;
  H2Settings settings;
  settings.max_concurrent_streams = 7;
  H2ServerCodec server(&ss, settings);
  H2ClientCodec client(&cs);
  pump(client, server);
  EXPECT_EQ(client.remoteMaxConcurrentStreams(), 7u);
}

TEST(H2ClientCodec, GoAwayReportsLastProcessedStream) {
  ServerSide ss;
  ClientSide cs;
  H2ServerCodec server(&ss);
  H2ClientCodec client(&cs);
  RequestHead get;
  get.method = "GET";
  get.target = "/";
  get.headers.add("host", "a");
  int32_t first = client.submitRequest(get, "http", true);
  pump(client, server);
  server.goAway();
  pump(client, server);
  EXPECT_EQ(cs.goaway_last, first);
  EXPECT_TRUE(client.goAwayReceived());
  EXPECT_LT(client.submitRequest(get, "http", true), 0);
}

}  // namespace
}  // namespace strait::http
