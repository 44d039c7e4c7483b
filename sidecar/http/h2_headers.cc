#include "sidecar/http/h2_headers.h"

#include <string_view>

#include "sidecar/http/h2_session.h"

namespace strait::http {
namespace {
ssize_t readBodyCb(nghttp2_session*, int32_t stream_id, uint8_t* buf, size_t length, uint32_t* data_flags,
                   nghttp2_data_source*, void* user_data) {
  return static_cast<H2Session*>(user_data)->readData(stream_id, buf, length, data_flags);
}

nghttp2_nv makeNv(std::string_view name, std::string_view value) {
  return {reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
          reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(), value.size(),
          NGHTTP2_NV_FLAG_NONE};
}

// "100" .. "599", three characters each.
const std::string& statusTable() {
  static const std::string table = [] {
    std::string t;
    for (int i = 100; i < 600; ++i) t += std::to_string(i);
    return t;
  }();
  return table;
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

H2Fields::H2Fields(const HeaderMap& fields, std::initializer_list<Pseudo> pseudo, std::string_view skip) {
  nva_.reserve(fields.size() + pseudo.size());
  for (const Pseudo& p : pseudo) nva_.push_back(makeNv(p.name, p.value));
  for (const auto& f : fields.fields()) {
    if (isConnectionSpecific(f) || (!skip.empty() && f.name == skip)) continue;
    nva_.push_back(makeNv(f.name, f.value));
  }
}

std::string_view statusText(int status, std::string* scratch) {
  if (status >= 100 && status < 600) return std::string_view(statusTable()).substr((status - 100) * 3, 3);
  *scratch = std::to_string(status);
  return *scratch;
}

}  // namespace strait::http
