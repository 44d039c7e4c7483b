#include "sidecar/router/header_utils.h"

#include <algorithm>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace strait::proxy {

namespace {

// The connection-specific fields of RFC 9110 7.6.1 (and the legacy proxy-connection).
bool isHopByHop(std::string_view name) {
  switch (name.size()) {
    case 2: return name == "te";
    case 7: return name == "upgrade";
    case 10: return name == "connection" || name == "keep-alive";
    case 16: return name == "proxy-connection";
    case 17: return name == "transfer-encoding";
    default: return false;
  }
}

}  // namespace

// One scan; the common request (no connection-specific field) allocates nothing.
void stripHopByHop(http::HeaderMap& headers, bool keep_te_trailers) {
  std::vector<http::HeaderField>& fields = headers.fields();
  bool found = false;
  bool te_seen = false;
  bool te_trailers = false;
  std::vector<std::string> named;  // fields the Connection header names
  for (const auto& f : fields) {
    if (!isHopByHop(f.name)) continue;
    found = true;
    if (f.name == "connection") {
      for (absl::string_view tok : absl::StrSplit(f.value, ',')) {
        std::string t = absl::AsciiStrToLower(absl::StripAsciiWhitespace(tok));
        if (!t.empty()) named.push_back(std::move(t));
      }
    } else if (f.name == "te" && !te_seen) {
      te_seen = true;
      te_trailers = absl::AsciiStrToLower(absl::StripAsciiWhitespace(f.value)) == "trailers";
    }
  }
  if (!found) return;
  auto drop = [&](const http::HeaderField& f) {
    if (isHopByHop(f.name)) return true;
    for (const auto& n : named) {
      if (f.name == n) return true;
    }
    return false;
  };
  fields.erase(std::remove_if(fields.begin(), fields.end(), drop), fields.end());
  if (keep_te_trailers && te_trailers) headers.add("te", "trailers");
}

std::string makeLocalReply(int status, std::string_view details, http::ResponseHead* head) {
  std::string body = std::string(http::reasonPhrase(status)) + "\n";
  head->status = status;
  head->headers.add("content-type", "text/plain");
  head->headers.add("content-length", std::to_string(body.size()));
  head->headers.add("x-strait-local-reply", std::string(details));
  return body;
}

}  // namespace strait::proxy
