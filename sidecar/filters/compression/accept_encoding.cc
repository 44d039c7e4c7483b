#include "sidecar/filters/compression/accept_encoding.h"

#include "sidecar/http/text.h"

namespace strait::filters::compression {
namespace {

// RFC 9110 qvalue: "0" ["." 0*3DIGIT] / "1" ["." 0*3("0")]; -1 if malformed.
int parseQ(std::string_view s) {
  if (s.empty() || (s[0] != '0' && s[0] != '1')) return -1;
  int whole = s[0] - '0';
  if (s.size() == 1) return whole * 1000;
  if (s[1] != '.' || s.size() > 5) return -1;
  int frac = 0;
  int scale = 100;
  for (char c : s.substr(2)) {
    if (c < '0' || c > '9') return -1;
    frac += (c - '0') * scale;
    scale /= 10;
  }
  if (whole == 1 && frac != 0) return -1;
  return whole * 1000 + frac;
}

// The q-value of one element's parameters ("q=0.5"), 1000 when absent, -1 if malformed.
int elementQ(std::string_view params) {
  int q = 1000;
  for (std::string_view p : http::splitOn(params, ';')) {
    p = http::trimOws(p);
    if (p.size() >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') q = parseQ(p.substr(2));
  }
  return q;
}

void addElement(std::string_view element, AcceptEncoding* out) {
  size_t semi = element.find(';');
  std::string_view coding = http::trimOws(element.substr(0, semi));
  if (coding.empty()) return;
  int q = semi == std::string_view::npos ? 1000 : elementQ(element.substr(semi + 1));
  if (q < 0) return;
  int* slot = nullptr;
  if (http::equalsIgnoreCase(coding, "gzip") || http::equalsIgnoreCase(coding, "x-gzip")) {
    slot = &out->q[static_cast<int>(Encoding::kGzip)];
  } else if (http::equalsIgnoreCase(coding, "br")) {
    slot = &out->q[static_cast<int>(Encoding::kBrotli)];
  } else if (http::equalsIgnoreCase(coding, "zstd")) {
    slot = &out->q[static_cast<int>(Encoding::kZstd)];
  } else if (coding == "*") {
    slot = &out->star;
  }
  // A coding listed twice keeps its higher q-value.
  if (slot != nullptr && q > *slot) *slot = q;
}

}  // namespace

int AcceptEncoding::qOf(Encoding e) const {
  int own = q[static_cast<int>(e)];
  if (own >= 0) return own;
  return star >= 0 ? star : 0;
}

AcceptEncoding parseAcceptEncoding(std::string_view value) {
  AcceptEncoding out;
  for (std::string_view element : http::splitOn(value, ',')) addElement(element, &out);
  return out;
}

AcceptEncoding parseAcceptEncoding(const http::HeaderMap& headers) {
  AcceptEncoding out;
  for (const auto& f : headers.fields()) {
    if (f.name != "accept-encoding") continue;
    for (std::string_view element : http::splitOn(f.value, ',')) addElement(element, &out);
  }
  return out;
}

std::optional<Encoding> chooseEncoding(const AcceptEncoding& accept, const std::vector<Encoding>& preference) {
  std::optional<Encoding> best;
  int best_q = 0;
  for (Encoding e : preference) {
    int q = accept.qOf(e);
    if (q > best_q) {
      best = e;
      best_q = q;
    }
  }
  return best;
}

}  // namespace strait::filters::compression
