// Request-mode tests for the HTTP/1.1 parser: framing, keep-alive, pipelining and every
// strictness rule of h1_codec.h. Every vector is fed whole, 1 byte and 3 bytes at a time;
// the recorded events must be identical.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/unit/http/h1_test_util.h"

namespace strait::http {
namespace {

using testing::feed;
using testing::FeedOptions;
using testing::Recorder;
using Events = std::vector<std::string>;

Events parseAllWays(const std::string& input, const FeedOptions& o = {}) {
  Events whole = feed(input, 0, o);
  EXPECT_EQ(whole, feed(input, 1, o)) << "byte-at-a-time differs for: " << input;
  EXPECT_EQ(whole, feed(input, 3, o)) << "3-byte steps differ for: " << input;
  return whole;
}

// Expects the input to be refused with `status`; unless `head_allowed`, before any head.
void expectError(const std::string& input, int status, const FeedOptions& o = {},
                 bool head_allowed = false) {
  Events events = parseAllWays(input, o);
  ASSERT_FALSE(events.empty()) << input;
  std::string want = "error " + std::to_string(status) + " ";
  EXPECT_EQ(events.back().rfind(want, 0), 0u) << "input: " << input << "\ngot: " << events.back();
  for (size_t i = 0; !head_allowed && i + 1 < events.size(); ++i) {
    EXPECT_NE(events[i].rfind("req ", 0), 0u) << "head delivered before error: " << input;
  }
}

std::string get(const std::string& extra_headers) {
  return "GET / HTTP/1.1\r\nHost: h\r\n" + extra_headers + "\r\n";
}

std::string post(const std::string& framing_headers, const std::string& body) {
  return "POST /p HTTP/1.1\r\nHost: h\r\n" + framing_headers + "\r\n" + body;
}

TEST(H1Request, SimpleGet) {
  EXPECT_EQ(parseAllWays("GET /index.html?x=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: t\r\n\r\n"),
            (Events{"req GET /index.html?x=1 1.1 ka=1 ec=0 none:0 [host=example.com][user-agent=t]",
                    "complete"}));
}

TEST(H1Request, NamesLowerCasedValuesTrimmed) {
  EXPECT_EQ(parseAllWays(get("X-Foo: \t bar  baz \t\r\nX-Empty:\r\nX-NoSpace:v\r\n")),
            (Events{"req GET / 1.1 ka=1 ec=0 none:0 [host=h][x-foo=bar  baz][x-empty=][x-nospace=v]",
                    "complete"}));
}

TEST(H1Request, ObsTextInValueAccepted) {
  EXPECT_EQ(parseAllWays(get("X-U: caf\xc3\xa9\r\n"))[0],
            "req GET / 1.1 ka=1 ec=0 none:0 [host=h][x-u=caf\xc3\xa9]");
}

TEST(H1Request, PipelinedStopsAfterFirst) {
  std::string first = "GET /a HTTP/1.1\r\nHost: h\r\n\r\n";
  std::string both = first + "GET /b HTTP/1.1\r\nHost: h\r\n\r\n";
  Recorder rec;
  H1Parser parser(H1Parser::Mode::kRequest, &rec);
  EXPECT_EQ(parser.execute(both.data(), both.size()), first.size());
  EXPECT_EQ(rec.events.size(), 2u);
  // Without reset() nothing more is consumed.
  EXPECT_EQ(parser.execute(both.data() + first.size(), both.size() - first.size()), 0u);
  parser.reset();
  EXPECT_EQ(parser.execute(both.data() + first.size(), both.size() - first.size()),
            both.size() - first.size());
  EXPECT_EQ(rec.events[2], "req GET /b 1.1 ka=1 ec=0 none:0 [host=h]");
  EXPECT_EQ(parseAllWays(both).size(), 4u);
}

TEST(H1Request, LeadingEmptyLinesIgnored) {
  EXPECT_EQ(parseAllWays("\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n")[0],
            "req GET / 1.1 ka=1 ec=0 none:0 [host=h]");
}

TEST(H1Request, ContentLengthBody) {
  EXPECT_EQ(parseAllWays(post("Content-Length: 5\r\n", "hello")),
            (Events{"req POST /p 1.1 ka=1 ec=0 cl:5 [host=h][content-length=5]", "body:hello",
                    "complete"}));
}

TEST(H1Request, ContentLengthZeroCompletesAfterHead) {
  EXPECT_EQ(parseAllWays(post("Content-Length: 0\r\n", "")),
            (Events{"req POST /p 1.1 ka=1 ec=0 cl:0 [host=h][content-length=0]", "complete"}));
}

TEST(H1Request, ContentLengthMax63Bits) {
  EXPECT_EQ(parseAllWays(post("Content-Length: 9223372036854775807\r\n", "ab")),
            (Events{"req POST /p 1.1 ka=1 ec=0 cl:9223372036854775807 [host=h]"
                    "[content-length=9223372036854775807]",
                    "body:ab"}));
}

TEST(H1Request, BodyIsNotCopied) {
  std::string input = post("Content-Length: 5\r\n", "hello");
  struct PtrRecorder : Recorder {
    const char* ptr = nullptr;
    void onBody(StreamId, const char* data, size_t len) override {
      ptr = data;
      Recorder::onBody(kH1Stream, data, len);
    }
  } rec;
  H1Parser parser(H1Parser::Mode::kRequest, &rec);
  EXPECT_EQ(parser.execute(input.data(), input.size()), input.size());
  EXPECT_EQ(rec.ptr, input.data() + input.size() - 5);
}

TEST(H1Request, ChunkedWithExtensionsAndTrailers) {
  std::string body =
      "5;name=val;x\r\nhello\r\nA\r\n0123456789\r\n0;last\r\nX-Trailer: t\r\nX-Other:o \r\n\r\n";
  EXPECT_EQ(parseAllWays(post("Transfer-Encoding: chunked\r\n", body)),
            (Events{"req POST /p 1.1 ka=1 ec=0 chunked:0 [host=h][transfer-encoding=chunked]",
                    "body:hello0123456789", "trailers [x-trailer=t][x-other=o]", "complete"}));
}

TEST(H1Request, ChunkedWithoutTrailers) {
  EXPECT_EQ(parseAllWays(post("Transfer-Encoding: Chunked\r\n", "3\r\nabc\r\n0\r\n\r\n")),
            (Events{"req POST /p 1.1 ka=1 ec=0 chunked:0 [host=h][transfer-encoding=Chunked]",
                    "body:abc", "complete"}));
}

TEST(H1Request, ChunkSizeFifteenDigitsAndUpperHex) {
  Events e = parseAllWays(post("Transfer-Encoding: chunked\r\n",
                               "00000000000000B\r\nhello world\r\n0\r\n\r\n"));
  EXPECT_EQ(e[1], "body:hello world");
  EXPECT_EQ(e.back(), "complete");
}

TEST(H1Request, KeepAlive) {
  auto head = [](const std::string& input) { return parseAllWays(input)[0]; };
  EXPECT_NE(head(get("")).find("ka=1"), std::string::npos);
  EXPECT_NE(head(get("Connection: close\r\n")).find("ka=0"), std::string::npos);
  EXPECT_NE(head(get("Connection: Upgrade, CLOSE\r\n")).find("ka=0"), std::string::npos);
  EXPECT_NE(head(get("Connection: x\r\nConnection: close\r\n")).find("ka=0"), std::string::npos);
  EXPECT_NE(head("GET / HTTP/1.0\r\n\r\n").find("1.0 ka=0"), std::string::npos);
  EXPECT_NE(head("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").find("ka=1"),
            std::string::npos);
  EXPECT_NE(head("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n").find("ka=0"),
            std::string::npos);
}

TEST(H1Request, ExpectContinue) {
  EXPECT_NE(parseAllWays(get("Expect: 100-Continue\r\n"))[0].find("ec=1"), std::string::npos);
  EXPECT_NE(parseAllWays(get("Expect: foo\r\n"))[0].find("ec=0"), std::string::npos);
  // RFC 9110 10.1.1: ignored in HTTP/1.0.
  EXPECT_NE(parseAllWays("GET / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n")[0].find("ec=0"),
            std::string::npos);
}

TEST(H1Request, TargetForms) {
  EXPECT_EQ(parseAllWays("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n").back(), "complete");
  EXPECT_EQ(parseAllWays("CONNECT h.example:443 HTTP/1.1\r\nHost: h\r\n\r\n").back(), "complete");
  EXPECT_EQ(parseAllWays("GET http://h/a?b HTTP/1.1\r\nHost: h\r\n\r\n").back(), "complete");
  expectError("GET * HTTP/1.1\r\nHost: h\r\n\r\n", 400);
  expectError("CONNECT /x HTTP/1.1\r\nHost: h\r\n\r\n", 400);
  expectError("CONNECT h HTTP/1.1\r\nHost: h\r\n\r\n", 400);
  expectError("GET foo HTTP/1.1\r\nHost: h\r\n\r\n", 400);
}

TEST(H1Request, StateQueries) {
  Recorder rec;
  H1Parser parser(H1Parser::Mode::kRequest, &rec);
  EXPECT_FALSE(parser.inMessage());
  EXPECT_TRUE(parser.finish());
  std::string part = "GET / HT";
  parser.execute(part.data(), part.size());
  EXPECT_TRUE(parser.inMessage());
  EXPECT_FALSE(parser.failed());
  EXPECT_FALSE(parser.finish());  // cut short
  EXPECT_TRUE(parser.failed());
}

TEST(H1Request, NothingConsumedAfterError) {
  Recorder rec;
  H1Parser parser(H1Parser::Mode::kRequest, &rec);
  std::string bad = "GET / HTTP/1.1\r\nHost: h\r\nBad Name: x\r\n\r\n";
  parser.execute(bad.data(), bad.size());
  EXPECT_TRUE(parser.failed());
  EXPECT_EQ(parser.execute(bad.data(), bad.size()), 0u);
  parser.reset();
  EXPECT_TRUE(parser.failed());  // reset() does not revive a failed parser
  EXPECT_EQ(rec.events.size(), 1u);
}

// --- Smuggling and strictness: each must be refused before any head is delivered. ---

struct BadCase {
  const char* name;
  std::string input;
  int status;
};

void runBadCases(const std::vector<BadCase>& cases) {
  for (const BadCase& c : cases) {
    SCOPED_TRACE(c.name);
    expectError(c.input, c.status);
  }
}

TEST(H1Strict, ContentLength) {
  runBadCases({
      {"duplicate equal", post("Content-Length: 5\r\nContent-Length: 5\r\n", "hello"), 400},
      {"duplicate different", post("Content-Length: 5\r\nContent-Length: 6\r\n", "hello"), 400},
      {"list", post("Content-Length: 5, 5\r\n", "hello"), 400},
      {"plus sign", post("Content-Length: +5\r\n", "hello"), 400},
      {"minus sign", post("Content-Length: -5\r\n", "hello"), 400},
      {"inner space", post("Content-Length: 5 5\r\n", "hello"), 400},
      {"non-digit", post("Content-Length: 5a\r\n", "hello"), 400},
      {"hex", post("Content-Length: 0x5\r\n", "hello"), 400},
      {"empty", post("Content-Length:\r\n", ""), 400},
      {"2^63", post("Content-Length: 9223372036854775808\r\n", ""), 400},
      {"20 digits", post("Content-Length: 99999999999999999999\r\n", ""), 400},
  });
}

TEST(H1Strict, TransferEncoding) {
  runBadCases({
      {"te+cl", post("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n", "0\r\n\r\n"), 400},
      {"cl+te", post("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n"), 400},
      {"gzip only", post("Transfer-Encoding: gzip\r\n", ""), 501},
      // The proxy re-chunks bodies and cannot carry another transfer-coding along.
      {"gzip, chunked", post("Transfer-Encoding: gzip, chunked\r\n", "0\r\n\r\n"), 501},
      {"chunked, gzip", post("Transfer-Encoding: chunked, gzip\r\n", ""), 501},
      {"chunked, identity", post("Transfer-Encoding: chunked, identity\r\n", ""), 501},
      {"identity", post("Transfer-Encoding: identity\r\n", ""), 501},
      {"unknown", post("Transfer-Encoding: foo\r\n", ""), 501},
      {"unknown, chunked", post("Transfer-Encoding: foo, chunked\r\n", ""), 501},
      {"chunked twice", post("Transfer-Encoding: chunked, chunked\r\n", ""), 400},
      {"chunked param", post("Transfer-Encoding: chunked;q=1\r\n", ""), 400},
      {"empty element", post("Transfer-Encoding: chunked,\r\n", ""), 400},
      {"two fields", post("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", ""), 400},
      {"two fields gzip", post("Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n", ""), 400},
      {"space in name", post("Transfer-Encoding : chunked\r\n", ""), 400},
      {"http/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
  });
}

TEST(H1Strict, FieldLines) {
  runBadCases({
      {"obs-fold", get("X-A: a\r\n b\r\n"), 400},
      {"obs-fold tab", get("X-A: a\r\n\tb\r\n"), 400},
      {"space before colon", get("X-A : a\r\n"), 400},
      {"tab before colon", get("X-A\t: a\r\n"), 400},
      {"bare LF header", "GET / HTTP/1.1\r\nHost: h\nX: y\r\n\r\n", 400},
      {"bare LF end", "GET / HTTP/1.1\r\nHost: h\r\n\n", 400},
      {"bare LF request line", "GET / HTTP/1.1\nHost: h\r\n\r\n", 400},
      {"bare CR in value", get("X-A: a\rb\r\n"), 400},
      {"NUL in value", get(std::string("X-A: a\0b\r\n", 11)), 400},
      {"CTL in value", get("X-A: a\x01 b\r\n"), 400},
      {"DEL in value", get("X-A: a\x7f\r\n"), 400},
      {"missing colon", get("X-A a\r\n"), 400},
      {"empty name", get(": a\r\n"), 400},
      {"bad name char", get("X(A): a\r\n"), 400},
      {"missing host", "GET / HTTP/1.1\r\n\r\n", 400},
      {"two hosts", get("Host: h2\r\n"), 400},
      {"two hosts 1.0", "GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", 400},
  });
}

TEST(H1Strict, Trailers) {
  const std::string te = "Transfer-Encoding: chunked\r\n";
  expectError(post(te, "0\r\nContent-Length: 5\r\n\r\n"), 400, {}, true);
  expectError(post(te, "0\r\nTransfer-Encoding: chunked\r\n\r\n"), 400, {}, true);
  expectError(post(te, "0\r\nX: a\r\n b\r\n\r\n"), 400, {}, true);
  expectError(post(te, "0\r\nX : a\r\n\r\n"), 400, {}, true);
  expectError(post(te, "0\r\nX: a\n\r\n"), 400, {}, true);
}

TEST(H1Strict, ChunkFraming) {
  const std::string te = "Transfer-Encoding: chunked\r\n";
  struct Chunk {
    const char* name;
    std::string body;
  };
  std::vector<Chunk> cases = {
      {"0x prefix", "0x5\r\nhello\r\n0\r\n\r\n"},
      {"negative", "-1\r\nhello\r\n0\r\n\r\n"},
      {"16 digits", "0000000000000005\r\nhello\r\n0\r\n\r\n"},
      {"trailing space", "5 \r\nhello\r\n0\r\n\r\n"},
      {"leading space", " 5\r\nhello\r\n0\r\n\r\n"},
      {"empty size", "\r\nhello\r\n0\r\n\r\n"},
      {"ext only", ";x\r\nhello\r\n0\r\n\r\n"},
      {"non-hex", "g\r\nhello\r\n0\r\n\r\n"},
      {"bare LF size", "5\nhello\r\n0\r\n\r\n"},
      {"CTL in ext", "5;a\x01\r\nhello\r\n0\r\n\r\n"},
      {"data too long", "5\r\nhelloX\r\n0\r\n\r\n"},
      {"LF only after data", "5\r\nhello\n0\r\n\r\n"},
      {"CR only after data", "5\r\nhello\rX0\r\n\r\n"},
  };
  for (const Chunk& c : cases) {
    SCOPED_TRACE(c.name);
    Events e = parseAllWays(post(te, c.body));
    ASSERT_GE(e.size(), 2u);
    EXPECT_EQ(e[0].rfind("req POST", 0), 0u);
    EXPECT_EQ(e.back().rfind("error 400 ", 0), 0u) << e.back();
  }
}

TEST(H1Strict, RequestLine) {
  runBadCases({
      {"HTTP/2.0", "GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505},
      {"HTTP/1.2", "GET / HTTP/1.2\r\nHost: h\r\n\r\n", 505},
      {"HTTP/0.9", "GET / HTTP/0.9\r\n\r\n", 505},
      {"lower-case version", "GET / http/1.1\r\nHost: h\r\n\r\n", 400},
      {"version junk", "GET / HTTP/1.1x\r\nHost: h\r\n\r\n", 400},
      {"version no dot", "GET / HTTP/11\r\nHost: h\r\n\r\n", 400},
      {"missing version", "GET /\r\nHost: h\r\n\r\n", 400},
      {"space in target", "GET /a b HTTP/1.1\r\nHost: h\r\n\r\n", 400},
      {"double space", "GET  / HTTP/1.1\r\nHost: h\r\n\r\n", 400},
      {"control in target", "GET /a\x01 HTTP/1.1\r\nHost: h\r\n\r\n", 400},
      {"tab in target", "GET /a\tb HTTP/1.1\r\nHost: h\r\n\r\n", 400},
      {"DEL in target", "GET /a\x7f HTTP/1.1\r\nHost: h\r\n\r\n", 400},
      {"non-ascii target", "GET /caf\xc3\xa9 HTTP/1.1\r\nHost: h\r\n\r\n", 400},
      {"bad method", "G(T / HTTP/1.1\r\nHost: h\r\n\r\n", 400},
      {"empty method", " / HTTP/1.1\r\nHost: h\r\n\r\n", 400},
      {"trailing space", "GET / HTTP/1.1 \r\nHost: h\r\n\r\n", 400},
  });
}

TEST(H1Limits, RequestLineTooLong) {
  FeedOptions o;
  o.limits.max_request_line = 32;
  std::string target = "/" + std::string(40, 'a');
  // Complete line, and a partial one with no CRLF yet: both refused with 414.
  expectError("GET " + target + " HTTP/1.1\r\nHost: h\r\n\r\n", 414, o);
  expectError("GET " + target, 414, o);
  // Exactly at the limit is fine (32 bytes excluding CRLF).
  std::string line = "GET /" + std::string(18, 'a') + " HTTP/1.1";
  ASSERT_EQ(line.size(), 32u);
  EXPECT_EQ(parseAllWays(line + "\r\nHost: h\r\n\r\n", o).back(), "complete");
}

TEST(H1Limits, HeadTooLarge) {
  FeedOptions o;
  o.limits.max_head_bytes = 100;
  expectError(get("X-Big: " + std::string(100, 'x') + "\r\n"), 431, o);
  expectError("GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + std::string(100, 'x'), 431, o);
  expectError(get(std::string(10, 'X') + ": " + std::string(60, 'y') + "\r\n" +
                  std::string(10, 'Z') + ": " + std::string(60, 'y') + "\r\n"),
              431, o);
  EXPECT_EQ(parseAllWays(get("X-Ok: " + std::string(50, 'x') + "\r\n"), o).back(), "complete");
}

TEST(H1Limits, EndlessEmptyLinesRefused) {
  FeedOptions o;
  o.limits.max_head_bytes = 100;
  std::string crlfs;
  for (int i = 0; i < 60; ++i) crlfs += "\r\n";
  expectError(crlfs, 431, o);
}

TEST(H1Limits, TooManyHeaders) {
  FeedOptions o;
  o.limits.max_headers = 3;
  expectError(get("A: 1\r\nB: 2\r\nC: 3\r\n"), 431, o);
  EXPECT_EQ(parseAllWays(get("A: 1\r\nB: 2\r\n"), o).back(), "complete");
  // Trailers have the same limit.
  expectError(post("Transfer-Encoding: chunked\r\n", "0\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n"),
              431, o, true);
}

TEST(H1Limits, ChunkExtensionBounded) {
  FeedOptions o;
  o.limits.max_head_bytes = 200;
  Events e = parseAllWays(
      post("Transfer-Encoding: chunked\r\n", "5;" + std::string(300, 'e') + "\r\nhello"), o);
  EXPECT_EQ(e.back().rfind("error 400 ", 0), 0u) << e.back();
}

}  // namespace
}  // namespace strait::http
