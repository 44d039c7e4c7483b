#include "sidecar/accesslog/access_log.h"

#include <cmath>
#include <cstdio>
#include <ctime>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "sidecar/accesslog/json_string.h"

namespace strait::accesslog {
namespace {

bool numeric(int f) {
  return f == kDurationMs || f == kFirstByteMs || f == kResponseCode || f == kBytesReceived || f == kBytesSent ||
         f == kAttempts;
}

// RFC 3339 in UTC with milliseconds, e.g. 2026-12-05T01:02:03.456Z. The date and time of
// the second are formatted once per second per thread (gmtime and a format call per line
// were a tenth of a line's cost).
void appendTime(int64_t wall_us, std::string* out) {
  thread_local int64_t cached_second = -1;
  thread_local char cached[80];  // "YYYY-MM-DDTHH:MM:SS." (room for any int, as g++ checks)
  int64_t second = wall_us / 1000000;
  if (second != cached_second) {
    time_t secs = static_cast<time_t>(second);
    struct tm tm;
    gmtime_r(&secs, &tm);
    snprintf(cached, sizeof(cached), "%04d-%02d-%02dT%02d:%02d:%02d.", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min, tm.tm_sec);
    cached_second = second;
  }
  out->append(cached);
  int ms = static_cast<int>((wall_us / 1000) % 1000);
  char tail[5] = {static_cast<char>('0' + ms / 100), static_cast<char>('0' + ms / 10 % 10),
                  static_cast<char>('0' + ms % 10), 'Z', '\0'};
  out->append(tail, 4);
}

void appendFlags(const http::StreamInfo& info, std::string* out) {
  bool first = true;
  for (int f = 1; f < static_cast<int>(http::ResponseFlag::kCount); f++) {
    auto flag = static_cast<http::ResponseFlag>(f);
    if (!info.hasFlag(flag)) continue;
    if (!first) out->push_back(',');
    first = false;
    out->append(http::responseFlagName(flag));
  }
}

// A string field's value; numbers and the time are appended by appendValue.
std::string_view stringValue(int f, const http::StreamInfo& info) {
  switch (f) {
    case kMethod: return info.method;
    case kAuthority: return info.authority;
    case kPath: return info.path;
    case kProtocol: return info.protocol;
    case kResponseCodeDetails: return info.failure_details;
    case kRoute: return info.route_name;
    case kCluster: return info.cluster_name;
    case kUpstreamHost: return info.upstream_host;
    case kRequestId: return info.request_id;
    case kTraceId: return info.trace_id;
    case kDownstreamAddress: return info.downstream_address;
    case kClientIp: return info.client_ip;
    case kPeerIdentity: return info.peer_identity;
    case kListener: return info.listener;
    default: return {};
  }
}

int64_t durationMs(const http::StreamInfo& info, const LineClock& clock) {
  int64_t end = info.end_ms != 0 ? info.end_ms : clock.now_ms;
  return info.start_ms != 0 && end >= info.start_ms ? end - info.start_ms : 0;
}

// Appends a numeric field; false if it has no value (no first upstream byte).
bool appendNumber(int f, const http::StreamInfo& info, const LineClock& clock, std::string* out) {
  switch (f) {
    case kDurationMs: absl::StrAppend(out, durationMs(info, clock)); return true;
    case kFirstByteMs:
      if (info.first_upstream_byte_ms == 0 || info.start_ms == 0) return false;
      absl::StrAppend(out, info.first_upstream_byte_ms - info.start_ms);
      return true;
    case kResponseCode: absl::StrAppend(out, info.response_code); return true;
    case kBytesReceived: absl::StrAppend(out, info.bytes_received); return true;
    case kBytesSent: absl::StrAppend(out, info.bytes_sent); return true;
    case kAttempts: absl::StrAppend(out, info.attempts); return true;
    default: return false;
  }
}

int64_t startWallUs(const http::StreamInfo& info, const LineClock& clock) {
  int64_t start = info.start_ms != 0 ? info.start_ms : clock.now_ms;
  return clock.wall_now_us - (clock.now_ms - start) * 1000;
}

constexpr char kLabel[] = "access log";  // names its LogFiles (errors, totals)

}  // namespace

absl::StatusOr<std::shared_ptr<const AccessLog>> AccessLog::create(const strait::v1::AccessLog& config) {
  if (absl::Status st = checkAccessLog(config); !st.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("access log ", st.message()));
  }
  std::shared_ptr<AccessLog> log(new AccessLog());
  log->json_ = config.format() == strait::v1::AccessLog::JSON;
  if (!log->json_) log->segments_ = *parseTextFormat(config.text_format());
  for (uint32_t c : config.filter().status_classes()) log->status_classes_ |= 1u << c;
  log->only_errors_ = config.filter().only_errors();
  double sample = config.filter().sample();
  if (sample != 0 && sample < 1) log->sample_threshold_ = static_cast<uint64_t>(std::ldexp(sample, 64));
  auto file = LogFile::open(kLabel, config.path(), config.max_bytes());
  if (!file.ok()) return file.status();
  log->file_ = std::move(*file);
  return std::shared_ptr<const AccessLog>(std::move(log));
}

bool AccessLog::wants(const http::StreamInfo& info, uint64_t random) const {
  int cls = info.response_code / 100;
  if (cls < 0 || cls > 5) cls = 0;
  if (status_classes_ != 0 && (status_classes_ & (1u << cls)) == 0) return false;
  if (only_errors_ && !info.failed()) return false;
  return random <= sample_threshold_;
}

void AccessLog::appendText(const http::StreamInfo& info, const LineClock& clock, std::string* out) const {
  for (const Segment& s : segments_) {
    if (s.field < 0) {
      out->append(s.literal);
    } else if (s.field == kStartTime) {
      appendTime(startWallUs(info, clock), out);
    } else if (s.field == kResponseFlags) {
      size_t before = out->size();
      appendFlags(info, out);
      if (out->size() == before) out->push_back('-');
    } else if (numeric(s.field)) {
      if (!appendNumber(s.field, info, clock, out)) out->push_back('-');
    } else {
      std::string_view v = stringValue(s.field, info);
      if (v.empty()) {
        out->push_back('-');
        continue;
      }
      // Control characters from a client must not split or forge lines.
      for (char c : v) out->push_back(static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? '?' : c);
    }
  }
}

std::string AccessLog::format(const http::StreamInfo& info, const LineClock& clock) const {
  std::string out;
  formatInto(info, clock, &out);
  return out;
}

void AccessLog::formatInto(const http::StreamInfo& info, const LineClock& clock, std::string* line) const {
  std::string& out = *line;
  if (!json_) {
    appendText(info, clock, &out);
    return;
  }
  // `{"key":` / `,"key":` for each field, with the opening quote of string values, made once.
  static const std::vector<std::string>* const kPrefixes = [] {
    auto* p = new std::vector<std::string>();
    for (int f = 0; f < kFieldCount; f++) {
      p->push_back(absl::StrCat(f == 0 ? "{\"" : ",\"", std::string(fieldKey(f)), numeric(f) ? "\":" : "\":\""));
    }
    return p;
  }();
  for (int f = 0; f < kFieldCount; f++) {
    out.append((*kPrefixes)[f]);
    if (f == kStartTime) {
      appendTime(startWallUs(info, clock), &out);
      out.push_back('"');
    } else if (f == kResponseFlags) {
      appendFlags(info, &out);  // names are plain ASCII: no escaping needed
      out.push_back('"');
    } else if (numeric(f)) {
      if (!appendNumber(f, info, clock, &out)) out.append("null");
    } else {
      appendJsonStringBody(&out, stringValue(f, info));
      out.push_back('"');
    }
  }
  out.push_back('}');
}

void AccessLog::log(const http::StreamInfo& info, const LineClock& clock, uint64_t random) const {
  if (!wants(info, random)) return;
  thread_local std::string line;  // reused: no allocation per line once it has grown
  line.clear();
  formatInto(info, clock, &line);
  file_->write(line);
}

uint64_t AccessLog::writtenTotal() { return LogFile::total(kLabel, &LogFile::written); }
uint64_t AccessLog::droppedTotal() { return LogFile::total(kLabel, &LogFile::dropped); }

}  // namespace strait::accesslog
