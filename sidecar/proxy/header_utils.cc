#include "sidecar/proxy/header_utils.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace strait::proxy {

void stripHopByHop(http::HeaderMap& headers, bool keep_te_trailers) {
  std::vector<std::string> named;
  for (const auto& f : headers.fields()) {
    if (f.name != "connection") continue;
    for (absl::string_view tok : absl::StrSplit(f.value, ',')) {
      std::string t = absl::AsciiStrToLower(absl::StripAsciiWhitespace(tok));
      if (!t.empty()) named.push_back(std::move(t));
    }
  }
  bool te_trailers = false;
  if (const std::string* te = headers.get("te")) {
    te_trailers = absl::AsciiStrToLower(absl::StripAsciiWhitespace(*te)) == "trailers";
  }
  for (const auto& n : named) headers.remove(n);
  for (const char* n : {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te"}) {
    headers.remove(n);
  }
  if (keep_te_trailers && te_trailers) headers.add("te", "trailers");
}

}  // namespace strait::proxy
