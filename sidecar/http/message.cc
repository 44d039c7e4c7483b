#include "sidecar/http/message.h"

#include <cstdlib>

namespace strait::http {

void framingFromHead(const HeaderMap& headers, bool end_stream, BodyFraming* framing, uint64_t* length) {
  *length = 0;
  if (end_stream) {
    *framing = BodyFraming::kNone;
  } else if (const std::string* cl = headers.get("content-length")) {
    *framing = BodyFraming::kContentLength;
    *length = std::strtoull(cl->c_str(), nullptr, 10);
  } else {
    *framing = BodyFraming::kChunked;
  }
}

}  // namespace strait::http
