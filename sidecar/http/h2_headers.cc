#include "sidecar/http/h2_headers.h"

#include <string_view>

#include "sidecar/http/h2_session.h"

namespace strait::http {
namespace {
ssize_t readBodyCb(nghttp2_session*, int32_t stream_id, uint8_t* buf, size_t length, uint32_t* data_flags,
                   nghttp2_data_source*, void* user_data) {
  return static_cast<H2Session*>(user_data)->readData(stream_id, buf, length, data_flags);
}

nghttp2_nv makeNv(const std::string& name, const std::string& value) {
  return {reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
          reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(), value.size(),
          NGHTTP2_NV_FLAG_NONE};
}
}  // namespace

nghttp2_data_provider sessionBodyProvider() {
  nghttp2_data_provider provider{};
  provider.read_callback = readBodyCb;
  return provider;
}

// Dispatches on the name's length first: this runs for every field of every HTTP/2 head.
bool isConnectionSpecific(const HeaderField& f) {
  std::string_view n = f.name;
  switch (n.size()) {
    case 2: return n == "te" && f.value != "trailers";
    case 7: return n == "upgrade";
    case 10: return n == "connection" || n == "keep-alive";
    case 16: return n == "proxy-connection";
    case 17: return n == "transfer-encoding";
    default: return false;
  }
}

H2Fields::H2Fields(const HeaderMap& fields, std::vector<std::pair<std::string, std::string>> pseudo)
    : pseudo_(std::move(pseudo)) {
  nva_.reserve(fields.size() + pseudo_.size());
  for (const auto& [name, value] : pseudo_) nva_.push_back(makeNv(name, value));
  for (const auto& f : fields.fields()) {
    if (!isConnectionSpecific(f)) nva_.push_back(makeNv(f.name, f.value));
  }
}

}  // namespace strait::http
