#include "sidecar/accesslog/access_log_config.h"

#include <cctype>

#include "absl/strings/str_cat.h"

namespace strait::accesslog {
namespace {

constexpr std::string_view kKeys[kFieldCount] = {
    "start_time", "duration_ms", "time_to_first_upstream_byte_ms", "method", "authority", "path",
    "protocol", "response_code", "response_flags", "response_code_details", "bytes_received", "bytes_sent",
    "route", "cluster", "upstream_host", "attempts", "request_id", "trace_id", "downstream_address",
    "client_ip", "peer_identity", "listener",
};

constexpr char kDefaultText[] =
    "[%START_TIME%] \"%METHOD% %PATH% %PROTOCOL%\" %RESPONSE_CODE% %RESPONSE_FLAGS% %BYTES_RECEIVED% "
    "%BYTES_SENT% %DURATION_MS% \"%UPSTREAM_HOST%\" \"%REQUEST_ID%\" \"%AUTHORITY%\"";

int fieldOfPlaceholder(std::string_view key) {
  for (int f = 0; f < kFieldCount; f++) {
    std::string_view k = kKeys[f];
    if (k.size() != key.size()) continue;
    bool same = true;
    for (size_t i = 0; same && i < k.size(); i++) {
      same = std::toupper(static_cast<unsigned char>(k[i])) == static_cast<unsigned char>(key[i]);
    }
    if (same) return f;
  }
  return -1;
}

}  // namespace

std::string_view fieldKey(int field) { return field >= 0 && field < kFieldCount ? kKeys[field] : ""; }

absl::StatusOr<std::vector<Segment>> parseTextFormat(std::string_view text) {
  if (text.empty()) text = kDefaultText;
  std::vector<Segment> out;
  std::string literal;
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] != '%') {
      literal.push_back(text[i++]);
      continue;
    }
    size_t end = text.find('%', i + 1);
    if (end == std::string_view::npos) return absl::InvalidArgumentError("text_format: a % is not closed");
    std::string_view key = text.substr(i + 1, end - i - 1);
    i = end + 1;
    if (key.empty()) {  // %%
      literal.push_back('%');
      continue;
    }
    int field = fieldOfPlaceholder(key);
    if (field < 0) return absl::InvalidArgumentError(absl::StrCat("text_format: unknown %", std::string(key), "%"));
    if (!literal.empty()) out.push_back({std::move(literal), -1});
    literal.clear();
    out.push_back({"", field});
  }
  if (!literal.empty()) out.push_back({std::move(literal), -1});
  return out;
}

absl::Status checkAccessLog(const strait::v1::AccessLog& config) {
  if (config.path().empty()) return absl::InvalidArgumentError("path: required (a file, or - for standard output)");
  if (!strait::v1::AccessLog::Format_IsValid(config.format())) {
    return absl::InvalidArgumentError(absl::StrCat("format: unknown format ", config.format()));
  }
  if (config.format() == strait::v1::AccessLog::TEXT) {
    if (auto parsed = parseTextFormat(config.text_format()); !parsed.ok()) return parsed.status();
  } else if (!config.text_format().empty()) {
    return absl::InvalidArgumentError("text_format: only for format TEXT");
  }
  for (uint32_t c : config.filter().status_classes()) {
    if (c > 5) return absl::InvalidArgumentError(absl::StrCat("filter.status_classes: ", c, " is not 0..5"));
  }
  double sample = config.filter().sample();
  if (sample != 0 && !(sample > 0 && sample <= 1)) {
    return absl::InvalidArgumentError("filter.sample: must be in (0, 1]");
  }
  if (config.max_bytes() != 0 && config.max_bytes() < (64u << 10)) {
    return absl::InvalidArgumentError("max_bytes: at least 65536 (0: never rotated)");
  }
  return absl::OkStatus();
}

}  // namespace strait::accesslog
