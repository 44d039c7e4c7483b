// Response-mode parser tests, encoder round trips and HeaderMap. Every vector is fed whole
// and 1 byte at a time; the recorded events must be identical.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sidecar/http/headers.h"
#include "tests/unit/http/h1_test_util.h"

namespace strait::http {
namespace {

using testing::feed;
using testing::FeedOptions;
using testing::Recorder;
using Events = std::vector<std::string>;

FeedOptions responseMode(bool head_response = false, bool eof = false) {
  FeedOptions o;
  o.mode = H1Parser::Mode::kResponse;
  o.head_response = head_response;
  o.eof = eof;
  return o;
}

Events parseResponse(const std::string& input, const FeedOptions& o = responseMode()) {
  Events whole = feed(input, 0, o);
  EXPECT_EQ(whole, feed(input, 1, o)) << "byte-at-a-time differs for: " << input;
  return whole;
}

TEST(H1Response, ContentLength) {
  EXPECT_EQ(parseResponse("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc"),
            (Events{"resp 200 'OK' 1.1 ka=1 cl:3 [content-length=3]", "body:abc", "complete"}));
}

TEST(H1Response, ReasonOptional) {
  EXPECT_EQ(parseResponse("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n")[0],
            "resp 200 '' 1.1 ka=1 cl:0 [content-length=0]");
  EXPECT_EQ(parseResponse("HTTP/1.1 404 \r\nContent-Length: 0\r\n\r\n")[0],
            "resp 404 '' 1.1 ka=1 cl:0 [content-length=0]");
  EXPECT_EQ(parseResponse("HTTP/1.0 503 Service  Unavailable\r\nContent-Length: 0\r\n\r\n")[0],
            "resp 503 'Service  Unavailable' 1.0 ka=0 cl:0 [content-length=0]");
}

TEST(H1Response, NoBodyStatuses) {
  EXPECT_EQ(parseResponse("HTTP/1.1 204 No Content\r\n\r\n"),
            (Events{"resp 204 'No Content' 1.1 ka=1 none:0", "complete"}));
  EXPECT_EQ(parseResponse("HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n"),
            (Events{"resp 304 'Not Modified' 1.1 ka=1 none:0 [content-length=10]", "complete"}));
  EXPECT_EQ(parseResponse("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", responseMode(true)),
            (Events{"resp 200 'OK' 1.1 ka=1 none:0 [content-length=10]", "complete"}));
  EXPECT_EQ(parseResponse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
                          responseMode(true)).back(),
            "complete");
}

TEST(H1Response, UntilClose) {
  EXPECT_EQ(parseResponse("HTTP/1.1 200 OK\r\n\r\nsome body", responseMode(false, true)),
            (Events{"resp 200 'OK' 1.1 ka=0 close:0", "body:some body", "complete", "eof ok"}));
  EXPECT_EQ(parseResponse("HTTP/1.1 200 OK\r\n\r\n", responseMode(false, true)),
            (Events{"resp 200 'OK' 1.1 ka=0 close:0", "complete", "eof ok"}));
}

TEST(H1Response, TruncatedBodyFinishFalse) {
  EXPECT_EQ(parseResponse("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc",
                          responseMode(false, true)),
            (Events{"resp 200 'OK' 1.1 ka=1 cl:10 [content-length=10]", "body:abc",
                    "eof truncated"}));
  EXPECT_EQ(parseResponse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
                          responseMode(false, true)).back(),
            "eof truncated");
  EXPECT_EQ(parseResponse("HTTP/1.1 200 OK\r\nConte", responseMode(false, true)),
            (Events{"eof truncated"}));
}

TEST(H1Response, ContinueThenFinal) {
  std::string input =
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  EXPECT_EQ(parseResponse(input),
            (Events{"resp 100 'Continue' 1.1 ka=1 none:0", "resp 103 'Early Hints' 1.1 ka=1 none:0 [link=</a>]",
                    "resp 200 'OK' 1.1 ka=1 cl:2 [content-length=2]", "body:ok", "complete"}));
  Recorder rec;
  H1Parser parser(H1Parser::Mode::kResponse, &rec);
  EXPECT_EQ(parser.execute(input.data(), input.size()), input.size());  // one call
  EXPECT_EQ(rec.events.size(), 5u);
}

TEST(H1Response, SwitchingProtocolsIsFinal) {
  std::string input = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n";
  std::string all = input + "\x81\x05hello";
  Recorder rec;
  H1Parser parser(H1Parser::Mode::kResponse, &rec);
  EXPECT_EQ(parser.execute(all.data(), all.size()), input.size());
  EXPECT_EQ(rec.events, (Events{"resp 101 'Switching Protocols' 1.1 ka=1 none:0 [upgrade=websocket]",
                                "complete"}));
}

TEST(H1Response, ChunkedWithTrailers) {
  EXPECT_EQ(parseResponse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                          "3\r\nabc\r\n0\r\nGrpc-Status: 0\r\n\r\n"),
            (Events{"resp 200 'OK' 1.1 ka=1 chunked:0 [transfer-encoding=chunked]", "body:abc",
                    "trailers [grpc-status=0]", "complete"}));
}

TEST(H1Response, KeepAlive) {
  EXPECT_NE(parseResponse("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")[0]
                .find("ka=0"), std::string::npos);
  EXPECT_NE(parseResponse("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n")[0]
                .find("ka=1"), std::string::npos);
}

TEST(H1Response, ErrorsAre502) {
  std::vector<std::string> bad = {
      "HTTP/1.1 20 OK\r\n\r\n",
      "HTTP/1.1 2000 OK\r\n\r\n",
      "HTTP/1.1 abc OK\r\n\r\n",
      "HTTP/1.1 099 X\r\n\r\n",
      "HTTP/2.0 200 OK\r\n\r\n",
      "HTTP/1.1 200 O\x01K\r\n\r\n",
      "\r\nHTTP/1.1 200 OK\r\n\r\n",
      "HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx",
      "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: foo\r\n\r\n",
      "HTTP/1.1 200 OK\r\nX : y\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nz\r\n",
  };
  for (const std::string& input : bad) {
    Events e = parseResponse(input);
    ASSERT_FALSE(e.empty()) << input;
    EXPECT_EQ(e.back().rfind("error 502 ", 0), 0u) << input << " -> " << e.back();
  }
}

TEST(H1Response, HeadLimitIs502) {
  FeedOptions o = responseMode();
  o.limits.max_head_bytes = 64;
  Events e = parseResponse("HTTP/1.1 200 OK\r\nX: " + std::string(80, 'x'), o);
  EXPECT_EQ(e, (Events{"error 502 header section too large"}));
}

// --- Encoders ---

TEST(H1Encode, RequestHeadRoundTrip) {
  RequestHead head;
  head.method = "PUT";
  head.target = "/a?b=c";
  head.version_minor = 0;  // always sent as HTTP/1.1 upstream
  head.headers.add("host", "up");
  head.headers.add("content-length", "2");
  std::string out;
  encodeRequestHead(head, &out);
  EXPECT_EQ(out, "PUT /a?b=c HTTP/1.1\r\nhost: up\r\ncontent-length: 2\r\n\r\n");
  out += "hi";
  EXPECT_EQ(feed(out, 1, {}), (Events{"req PUT /a?b=c 1.1 ka=1 ec=0 cl:2 [host=up][content-length=2]",
                                      "body:hi", "complete"}));
}

TEST(H1Encode, ResponseHead) {
  ResponseHead head;
  head.status = 404;
  head.headers.add("content-length", "0");
  std::string out;
  encodeResponseHead(head, &out);
  EXPECT_EQ(out, "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n");
  head.reason = "Nope";
  out.clear();
  encodeResponseHead(head, &out);
  EXPECT_EQ(feed(out, 0, responseMode())[0], "resp 404 'Nope' 1.1 ka=1 cl:0 [content-length=0]");
}

TEST(H1Encode, ChunkedRoundTrip) {
  std::string body(26, 'z');
  std::string out = "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n";
  size_t before = out.size();
  encodeChunk(body.data(), body.size(), &out);
  EXPECT_EQ(out.substr(before), "1a\r\n" + body + "\r\n");
  encodeChunk("x", 0, &out);  // empty chunk writes nothing
  encodeChunk("!", 1, &out);
  HeaderMap trailers;
  trailers.add("x-t", "v");
  encodeLastChunk(&trailers, &out);
  EXPECT_EQ(out.substr(out.size() - 13), "0\r\nx-t: v\r\n\r\n");
  EXPECT_EQ(parseResponse(out),
            (Events{"resp 200 'OK' 1.1 ka=1 chunked:0 [transfer-encoding=chunked]",
                    "body:" + body + "!", "trailers [x-t=v]", "complete"}));
  std::string last;
  encodeLastChunk(nullptr, &last);
  EXPECT_EQ(last, "0\r\n\r\n");
}

TEST(H1Encode, ReasonPhrase) {
  EXPECT_EQ(reasonPhrase(200), "OK");
  EXPECT_EQ(reasonPhrase(431), "Request Header Fields Too Large");
  EXPECT_EQ(reasonPhrase(799), "Unknown");
}

// --- HeaderMap ---

TEST(H1HeaderMap, Operations) {
  HeaderMap m;
  m.add("a", "1");
  m.add("b", "2");
  m.add("a", "3");
  EXPECT_EQ(*m.get("a"), "1");
  EXPECT_EQ(m.get("c"), nullptr);
  EXPECT_EQ(m.count("a"), 2u);
  m.set("a", "9");
  EXPECT_EQ(m.count("a"), 1u);
  EXPECT_EQ(m.fields()[0].name, "a");  // keeps the first position
  EXPECT_EQ(m.fields()[0].value, "9");
  m.set("c", "new");
  EXPECT_EQ(m.fields().back().name, "c");
  m.add("b", "x");
  EXPECT_EQ(m.remove("b"), 2u);
  EXPECT_EQ(m.remove("b"), 0u);
  EXPECT_EQ(m.size(), 2u);
  m.clear();
  EXPECT_EQ(m.size(), 0u);
}

}  // namespace
}  // namespace strait::http
