// libFuzzer target for the HTTP/1.1 parser (both modes). Besides crashes and sanitizer
// findings it checks a differential property: feeding the input whole and in small pieces
// must produce exactly the same events (the same property the unit tests check per vector).
// The first input byte picks the piece size, the HEAD flag and small or default limits.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tests/unit/http/h1_test_util.h"

namespace {

using strait::http::H1Parser;
using strait::http::testing::feed;
using strait::http::testing::FeedOptions;

void checkMode(H1Parser::Mode mode, uint8_t control, std::string_view input) {
  FeedOptions o;
  o.mode = mode;
  o.head_response = (control & 1) != 0;
  o.eof = true;
  if (control & 2) {
    o.limits.max_request_line = 64;
    o.limits.max_head_bytes = 256;
    o.limits.max_headers = 8;
  }
  size_t step = 1 + (control >> 2);  // 1..64 bytes a piece
  if (feed(input, 0, o) != feed(input, step, o)) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  checkMode(H1Parser::Mode::kRequest, data[0], input);
  checkMode(H1Parser::Mode::kResponse, data[0], input);
  return 0;
}
