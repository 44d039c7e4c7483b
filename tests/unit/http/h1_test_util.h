// Test helpers for the HTTP/1.1 codec: a callback recorder that renders every event as a
// string, and drivers that feed an input whole or in small pieces (the events must match).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sidecar/http/h1_codec.h"

namespace strait::http::testing {

inline std::string framingName(BodyFraming f) {
  switch (f) {
    case BodyFraming::kNone: return "none";
    case BodyFraming::kContentLength: return "cl";
    case BodyFraming::kChunked: return "chunked";
    case BodyFraming::kUntilClose: return "close";
  }
  return "?";
}

inline std::string renderFields(const HeaderMap& headers) {
  std::string out;
  for (const HeaderField& f : headers.fields()) {
    out += (out.empty() ? " [" : "[") + f.name + "=" + f.value + "]";
  }
  return out;
}

// Records events; consecutive body pieces are merged so feeding granularity does not show.
class Recorder : public CodecCallbacks {
 public:
  void onRequestHead(StreamId, RequestHead&& h, BodyFraming f, uint64_t len) override {
    events.push_back("req " + h.method + " " + h.target + " 1." + std::to_string(h.version_minor) +
                     " ka=" + std::to_string(h.keep_alive) + " ec=" +
                     std::to_string(h.expect_continue) + " " + framingName(f) + ":" +
                     std::to_string(len) + renderFields(h.headers));
  }
  void onResponseHead(StreamId, ResponseHead&& h, BodyFraming f, uint64_t len) override {
    events.push_back("resp " + std::to_string(h.status) + " '" + h.reason + "' 1." +
                     std::to_string(h.version_minor) + " ka=" + std::to_string(h.keep_alive) +
                     " " + framingName(f) + ":" + std::to_string(len) + renderFields(h.headers));
  }
  void onBody(StreamId, const char* data, size_t len) override {
    if (events.empty() || events.back().rfind("body:", 0) != 0) events.push_back("body:");
    events.back().append(data, len);
    body_calls++;
  }
  void onTrailers(StreamId, HeaderMap&& trailers) override {
    events.push_back("trailers" + renderFields(trailers));
  }
  void onMessageComplete(StreamId) override {
    events.push_back("complete");
    completed = true;
  }
  void onError(StreamId, const ParseError& e) override {
    events.push_back("error " + std::to_string(e.status) + " " + e.reason);
  }

  std::vector<std::string> events;  // rendered events in order
  bool completed = false;           // set by onMessageComplete, cleared by the driver
  int body_calls = 0;               // number of onBody calls
};

struct FeedOptions {
  H1Parser::Mode mode = H1Parser::Mode::kRequest;
  H1Limits limits;
  bool head_response = false;  // response mode: answers a HEAD request
  bool eof = false;            // call finish() at the end and record its result
};

// Feeds `input` `step` bytes at a time (0 = all at once) the way a connection would:
// unconsumed bytes stay pending, reset() after each message.
inline std::vector<std::string> feed(std::string_view input, size_t step, const FeedOptions& o) {
  Recorder rec;
  H1Parser parser(o.mode, &rec, o.limits);
  parser.expectHeadResponse(o.head_response);
  std::string pending;
  size_t pos = 0;
  while (pos < input.size() && !parser.failed()) {
    size_t n = step == 0 ? input.size() : std::min(step, input.size() - pos);
    pending.append(input.substr(pos, n));
    pos += n;
    while (!pending.empty() && !parser.failed()) {
      size_t used = parser.execute(pending.data(), pending.size());
      pending.erase(0, used);
      if (!rec.completed) break;
      rec.completed = false;
      parser.reset();
    }
  }
  if (o.eof && !parser.failed()) rec.events.push_back(parser.finish() ? "eof ok" : "eof truncated");
  if (o.eof && rec.completed) rec.completed = false;
  return rec.events;
}

}  // namespace strait::http::testing
