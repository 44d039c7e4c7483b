#include "sidecar/filters/compression/compression_config.h"

#include "absl/strings/numbers.h"
#include "sidecar/http/text.h"

namespace strait::filters::compression {
namespace {

// The defaults of filter_compression.proto (content_types).
const char* const kDefaultContentTypes[] = {
    "text/html",
    "text/plain",
    "text/css",
    "text/javascript",
    "text/xml",
    "text/csv",
    "text/markdown",
    "application/javascript",
    "application/x-javascript",
    "application/json",
    "application/xml",
    "application/xhtml+xml",
    "application/rss+xml",
    "application/atom+xml",
    "application/ld+json",
    "application/manifest+json",
    "application/wasm",
    "image/svg+xml",
    "font/ttf",
    "font/otf",
};

absl::StatusOr<Encoding> encodingByName(const std::string& name) {
  if (name == "gzip") return Encoding::kGzip;
  if (name == "br") return Encoding::kBrotli;
  if (name == "zstd") return Encoding::kZstd;
  return absl::InvalidArgumentError("compression.encodings: unknown encoding '" + name +
                                    "' (one of zstd, br, gzip)");
}

void applyParams(const strait::v1::Compression& p, EncoderParams* out) {
  if (p.gzip().has_level()) out->gzip_level = static_cast<int>(p.gzip().level());
  if (p.gzip().has_window_bits()) out->gzip_window_bits = static_cast<int>(p.gzip().window_bits());
  if (p.gzip().has_memory_level()) out->gzip_memory_level = static_cast<int>(p.gzip().memory_level());
  if (p.brotli().has_quality()) out->brotli_quality = static_cast<int>(p.brotli().quality());
  if (p.brotli().has_window_bits()) out->brotli_window_bits = static_cast<int>(p.brotli().window_bits());
  if (p.zstd().has_level()) out->zstd_level = static_cast<int>(p.zstd().level());
  if (p.zstd().has_window_log()) out->zstd_window_log = static_cast<int>(p.zstd().window_log());
}

// A comma-separated header (every field of that name) contains `token`, case-insensitively.
bool hasToken(const http::HeaderMap& headers, std::string_view name, std::string_view token) {
  for (const auto& f : headers.fields()) {
    if (f.name != name) continue;
    for (std::string_view t : http::splitOn(f.value, ',')) {
      t = http::trimOws(t);
      if (http::equalsIgnoreCase(t, token)) return true;
    }
  }
  return false;
}

bool alreadyEncoded(const http::HeaderMap& headers) {
  for (const auto& f : headers.fields()) {
    if (f.name == "content-encoding" && !http::equalsIgnoreCase(http::trimOws(f.value), "identity")) {
      return true;
    }
  }
  return false;
}

}  // namespace

absl::StatusOr<std::shared_ptr<const CompressionConfig>> compileCompressionConfig(
    const strait::v1::Compression& proto) {
  auto config = std::make_shared<CompressionConfig>();
  for (const std::string& name : proto.encodings()) {
    auto e = encodingByName(name);
    if (!e.ok()) return e.status();
    config->preference.push_back(*e);
  }
  if (config->preference.empty()) config->preference = {Encoding::kZstd, Encoding::kBrotli, Encoding::kGzip};
  for (const std::string& t : proto.content_types()) config->content_types.push_back(http::lowerAscii(t));
  if (config->content_types.empty()) {
    for (const char* t : kDefaultContentTypes) config->content_types.emplace_back(t);
  }
  if (proto.has_min_content_length()) config->min_content_length = proto.min_content_length();
  applyParams(proto, &config->params);
  return std::shared_ptr<const CompressionConfig>(std::move(config));
}

std::string mediaType(std::string_view content_type) {
  std::string_view type = content_type.substr(0, content_type.find(';'));
  return http::lowerAscii(http::trimOws(type));
}

bool contentTypeMatches(const std::vector<std::string>& patterns, std::string_view content_type) {
  const std::string type = mediaType(content_type);
  if (type.empty()) return false;
  for (const std::string& p : patterns) {
    if (p == type) return true;
    // "text/*": the whole top-level type.
    const size_t prefix = p.size() - 1;  // "text/" of "text/*"
    if (p.size() >= 2 && p.compare(prefix - 1, 2, "/*") == 0 && type.size() > prefix &&
        type.compare(0, prefix, p, 0, prefix) == 0) {
      return true;
    }
  }
  return false;
}

namespace {

// What every qualifying response has: a whole, unencoded representation that may be
// transformed, of a listed type (`missing_type_ok`: a 304, which often omits it).
bool representationQualifies(const CompressionConfig& config, const http::HeaderMap& h, bool missing_type_ok) {
  if (h.get("content-range") != nullptr || alreadyEncoded(h)) return false;
  if (hasToken(h, "cache-control", "no-transform")) return false;
  const std::string* type = h.get("content-type");
  if (type == nullptr) return missing_type_ok;
  return contentTypeMatches(config.content_types, *type);
}

bool statusQualifies(int status) { return status >= 200 && status != 204 && status != 206 && status != 304; }

}  // namespace

bool responseQualifies(const CompressionConfig& config, const http::ResponseHead& head, http::BodyFraming framing,
                       uint64_t length, bool head_request) {
  if (head_request || framing == http::BodyFraming::kNone || !statusQualifies(head.status)) return false;
  if (!representationQualifies(config, head.headers, /*missing_type_ok=*/false)) return false;
  return framing != http::BodyFraming::kContentLength || length >= config.min_content_length;
}

bool notModifiedQualifies(const CompressionConfig& config, const http::ResponseHead& head) {
  return head.status == 304 && representationQualifies(config, head.headers, /*missing_type_ok=*/true);
}

bool headResponseQualifies(const CompressionConfig& config, const http::ResponseHead& head) {
  if (!statusQualifies(head.status)) return false;
  if (!representationQualifies(config, head.headers, /*missing_type_ok=*/false)) return false;
  const std::string* length = head.headers.get("content-length");
  uint64_t n = 0;
  return length == nullptr || !absl::SimpleAtoi(*length, &n) || n >= config.min_content_length;
}

}  // namespace strait::filters::compression
