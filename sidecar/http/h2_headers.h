// Header lists for nghttp2 submit calls, pointing into caller-owned strings (which must
// outlive the submit). Connection-specific fields (RFC 9113 8.2.2) are left out.
#pragma once

#include <nghttp2/nghttp2.h>

#include <string>
#include <utility>
#include <vector>

#include "sidecar/http/headers.h"

namespace strait::http {

class H2Fields {
 public:
  // `pseudo` (":status", ":method", ...) come first, then `fields`.
  H2Fields(const HeaderMap& fields, std::vector<std::pair<std::string, std::string>> pseudo);
  nghttp2_nv* data() { return nva_.data(); }
  size_t size() const { return nva_.size(); }

 private:
  std::vector<std::pair<std::string, std::string>> pseudo_;  // owned copies
  std::vector<nghttp2_nv> nva_;
};

// True for fields HTTP/2 forbids (connection, keep-alive, proxy-connection,
// transfer-encoding, upgrade) and te other than "trailers".
bool isConnectionSpecific(const HeaderField& field);

// nghttp2 data provider reading a stream's queued body from the H2Session in user_data.
nghttp2_data_provider sessionBodyProvider();

}  // namespace strait::http
