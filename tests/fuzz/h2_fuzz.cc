// libFuzzer target for the HTTP/2 codecs (server and client side): arbitrary bytes from the
// peer, fed in pieces, with the codec answering as the proxy would (responses with bodies
// and trailers on the server side, requests on the client side, DATA consumed). Finds
// crashes, sanitizer reports and broken invariants (after a connection error the codec
// must refuse further input and still hand out its GOAWAY).
// The first input byte picks the piece size and whether the client preface is prepended
// (so most inputs get past the preface check and reach the frame layer).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sidecar/http/h2_client_codec.h"
#include "sidecar/http/h2_codec.h"

namespace {

using strait::http::CodecCallbacks;
using strait::http::H2ClientCodec;
using strait::http::H2ServerCodec;
using strait::http::HeaderMap;
using strait::http::RequestHead;
using strait::http::ResponseHead;
using strait::http::StreamId;
using strait::http::BodyFraming;

constexpr std::string_view kPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

struct Server final : CodecCallbacks {
  H2ServerCodec codec{this};
  std::vector<int32_t> ended;
  void onRequestHead(StreamId, RequestHead&&, BodyFraming, uint64_t) override {}
  void onBody(StreamId id, const char*, size_t len) override { codec.consume(id, len); }
  void onTrailers(StreamId, HeaderMap&&) override {}
  void onMessageComplete(StreamId id) override { ended.push_back(id); }
  void onStreamClose(StreamId, uint32_t) override {}
  // Answers the finished requests outside the callbacks, as the proxy does.
  void respond() {
    for (int32_t id : ended) {
      ResponseHead head;
      head.status = 200;
      head.headers.add("content-type", "text/plain");
      codec.submitResponse(id, head, false);
      codec.sendData(id, "hello", 5);
      HeaderMap trailers;
      trailers.add("x-trailer", "1");
      codec.endStream(id, &trailers);
    }
    ended.clear();
  }
};

struct Client final : CodecCallbacks {
  H2ClientCodec codec{this};
  void onResponseHead(StreamId, ResponseHead&&, BodyFraming, uint64_t) override {}
  void onBody(StreamId id, const char*, size_t len) override { codec.consume(id, len); }
  void onTrailers(StreamId, HeaderMap&&) override {}
  void onMessageComplete(StreamId) override {}
  void onStreamClose(StreamId, uint32_t) override {}
  void onGoAway(StreamId, uint32_t) override {}
};

template <typename Peer, typename AfterPiece>
void run(Peer& peer, std::string_view input, size_t step, AfterPiece after_piece) {
  std::string out;
  bool ok = true;
  for (size_t pos = 0; pos < input.size() && ok; pos += step) {
    std::string_view piece = input.substr(pos, step);
    ok = peer.codec.execute(piece.data(), piece.size());
    if (ok) after_piece();
    peer.codec.takeOutput(&out);
    out.clear();
  }
  if (!ok && peer.codec.execute("x", 1)) __builtin_trap();  // a failed codec stays failed
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  uint8_t control = data[0];
  std::string_view frames(reinterpret_cast<const char*>(data) + 1, size - 1);
  size_t step = 1 + (control >> 1) * 16;  // 1..2033 bytes a piece
  {
    Server server;
    std::string input = (control & 1) ? std::string(kPreface) + std::string(frames) : std::string(frames);
    run(server, input, step, [&] { server.respond(); });
  }
  {
    Client client;
    RequestHead head;
    head.method = "POST";
    head.target = "/";
    head.headers.add("host", "example");
    int32_t id = client.codec.submitRequest(head, "http", false);
    if (id > 0) {
      client.codec.sendData(id, "body", 4);
      client.codec.endStream(id, nullptr);
    }
    run(client, frames, step, [] {});
  }
  return 0;
}
