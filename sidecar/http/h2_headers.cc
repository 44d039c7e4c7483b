#include "sidecar/http/h2_headers.h"

namespace strait::http {
namespace {
nghttp2_nv makeNv(const std::string& name, const std::string& value) {
  return {reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
          reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(), value.size(),
          NGHTTP2_NV_FLAG_NONE};
}
}  // namespace

bool isConnectionSpecific(const HeaderField& f) {
  return f.name == "connection" || f.name == "keep-alive" || f.name == "proxy-connection" ||
         f.name == "transfer-encoding" || f.name == "upgrade" || (f.name == "te" && f.value != "trailers");
}

H2Fields::H2Fields(const HeaderMap& fields, const std::vector<std::pair<std::string, std::string>>& pseudo)
    : pseudo_(pseudo) {
  nva_.reserve(fields.size() + pseudo_.size());
  for (const auto& [name, value] : pseudo_) nva_.push_back(makeNv(name, value));
  for (const auto& f : fields.fields()) {
    if (!isConnectionSpecific(f)) nva_.push_back(makeNv(f.name, f.value));
  }
}

}  // namespace strait::http
