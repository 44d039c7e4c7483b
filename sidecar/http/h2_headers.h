// Header lists for nghttp2 submit calls, pointing into caller-owned strings (which must
// outlive the submit; nghttp2 copies them). Connection-specific fields (RFC 9113 8.2.2) are left out.
#pragma once

#include <nghttp2/nghttp2.h>

#include <initializer_list>
#include <string>
#include <string_view>

#include "absl/container/inlined_vector.h"

#include "sidecar/http/headers.h"

namespace strait::http {

class H2Fields {
 public:
  struct Pseudo {
    std::string_view name;   // ":status", ":method", ...
    std::string_view value;  // caller-owned, outlives the submit
  };
  // `pseudo` come first, then `fields` except connection-specific ones and any called `skip`.
  H2Fields(const HeaderMap& fields, std::initializer_list<Pseudo> pseudo, std::string_view skip = {});
  nghttp2_nv* data() { return nva_.data(); }
  size_t size() const { return nva_.size(); }

 private:
  absl::InlinedVector<nghttp2_nv, 16> nva_;  // a typical head needs no allocation
};

// ":status" values without formatting (100-599; others are formatted into `scratch`).
std::string_view statusText(int status, std::string* scratch);

// True for fields HTTP/2 forbids (connection, keep-alive, proxy-connection,
// transfer-encoding, upgrade) and te other than "trailers".
bool isConnectionSpecific(const HeaderField& field);

// nghttp2 data provider reading a stream's queued body from the H2Session in user_data.
nghttp2_data_provider sessionBodyProvider();

}  // namespace strait::http
