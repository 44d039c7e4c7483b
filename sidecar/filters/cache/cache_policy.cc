#include "sidecar/filters/cache/cache_policy.h"

#include <time.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace strait::filters::cache {
namespace {

// delta-seconds; a bad value is treated as 0 (the conservative reading, RFC 9111 1.2.2).
int64_t deltaSeconds(absl::string_view v) {
  v = absl::StripAsciiWhitespace(v);
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  int64_t n = 0;
  if (!absl::SimpleAtoi(v, &n) || n < 0) return 0;
  return std::min<int64_t>(n, int64_t{1} << 31);
}

void applyDirective(absl::string_view name, absl::string_view value, bool has_value, CacheControl* cc) {
  if (name == "no-store") cc->no_store = true;
  else if (name == "no-cache") cc->no_cache = true;
  else if (name == "private") cc->is_private = true;
  else if (name == "public") cc->is_public = true;
  else if (name == "must-revalidate" || name == "proxy-revalidate") cc->must_revalidate = true;
  else if (name == "only-if-cached") cc->only_if_cached = true;
  else if (name == "max-age") cc->max_age = deltaSeconds(value);
  else if (name == "s-maxage") cc->s_maxage = deltaSeconds(value);
  else if (name == "max-stale") cc->max_stale = has_value ? deltaSeconds(value) : CacheControl::kAnyStale;
  else if (name == "min-fresh") cc->min_fresh = deltaSeconds(value);
  else if (name == "stale-while-revalidate") cc->stale_while_revalidate = deltaSeconds(value);
  else if (name == "stale-if-error") cc->stale_if_error = deltaSeconds(value);
}

absl::string_view trim(absl::string_view s) { return absl::StripAsciiWhitespace(s); }

}  // namespace

CacheControl parseCacheControl(const http::HeaderMap& headers) {
  CacheControl cc;
  for (const auto& f : headers.fields()) {
    if (f.name != "cache-control") continue;
    for (absl::string_view part : absl::StrSplit(f.value, ',')) {
      part = trim(part);
      if (part.empty()) continue;
      size_t eq = part.find('=');
      std::string name = absl::AsciiStrToLower(trim(part.substr(0, eq)));
      absl::string_view value = eq == absl::string_view::npos ? absl::string_view() : part.substr(eq + 1);
      applyDirective(name, value, eq != absl::string_view::npos, &cc);
    }
  }
  return cc;
}

CacheControl parseRequestCacheControl(const http::HeaderMap& headers) {
  CacheControl cc = parseCacheControl(headers);
  const std::string* pragma = headers.get("pragma");
  if (headers.get("cache-control") == nullptr && pragma != nullptr && absl::StrContains(absl::AsciiStrToLower(*pragma), "no-cache")) {
    cc.no_cache = true;
  }
  return cc;
}

int64_t parseHttpDate(std::string_view sv) {
  std::string text(trim(absl::string_view(sv.data(), sv.size())));
  static const char* const kFormats[] = {"%a, %d %b %Y %H:%M:%S GMT", "%A, %d-%b-%y %H:%M:%S GMT",
                                         "%a %b %e %H:%M:%S %Y"};
  for (const char* format : kFormats) {
    struct tm tm = {};
    const char* end = strptime(text.c_str(), format, &tm);
    if (end != nullptr && *end == '\0') return static_cast<int64_t>(timegm(&tm));
  }
  return -1;
}

std::string formatHttpDate(int64_t epoch_seconds) {
  time_t t = static_cast<time_t>(epoch_seconds);
  struct tm tm = {};
  gmtime_r(&t, &tm);
  char buf[64];
  size_t n = strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return std::string(buf, n);
}

bool heuristicallyCacheable(int status) {
  switch (status) {
    case 200: case 203: case 204: case 300: case 301: case 308:
    case 404: case 405: case 410: case 414: case 501:
      return true;
    default:
      return false;
  }
}

bool responseStorable(const http::HeaderMap& request, const CacheControl& request_cc, int status,
                      const http::HeaderMap& response, const CacheControl& response_cc, const char** reason) {
  auto no = [&](const char* why) {
    if (reason != nullptr) *reason = why;
    return false;
  };
  if (status < 200 || status == 206 || status == 304) return no("status");
  if (request_cc.no_store || response_cc.no_store) return no("no-store");
  if (response_cc.is_private) return no("private");
  // Personal responses: not stored at all (stripping the cookie would hand a session's
  // other headers to everyone; dropping the object is the safe reading).
  if (response.get("set-cookie") != nullptr) return no("set-cookie");
  if (request.get("authorization") != nullptr && !response_cc.is_public && response_cc.s_maxage < 0 &&
      !response_cc.must_revalidate) {
    return no("authorization");
  }
  bool star = false;
  varyNames(response, &star);
  if (star) return no("vary-star");
  bool explicit_freshness = response_cc.max_age >= 0 || response_cc.s_maxage >= 0 || response.get("expires") != nullptr;
  if (!explicit_freshness && !heuristicallyCacheable(status) && !response_cc.is_public) return no("status");
  return true;
}

int64_t freshnessLifetime(int status, const http::HeaderMap& response, const CacheControl& cc,
                          int64_t response_time, int64_t heuristic_cap) {
  if (cc.s_maxage >= 0) return cc.s_maxage;
  if (cc.max_age >= 0) return cc.max_age;
  int64_t date = response_time;
  if (const std::string* d = response.get("date")) {
    int64_t parsed = parseHttpDate(*d);
    if (parsed >= 0) date = parsed;
  }
  if (const std::string* e = response.get("expires")) {
    int64_t expires = parseHttpDate(*e);
    return expires < 0 ? 0 : std::max<int64_t>(0, expires - date);
  }
  if (!heuristicallyCacheable(status) && !cc.is_public) return 0;
  if (const std::string* lm = response.get("last-modified")) {
    int64_t modified = parseHttpDate(*lm);
    if (modified >= 0 && modified < date) return std::min<int64_t>((date - modified) / 10, heuristic_cap);
  }
  return 0;
}

AgeInputs ageInputs(const http::HeaderMap& response, int64_t request_time, int64_t response_time) {
  AgeInputs in;
  in.request_time = request_time;
  in.response_time = response_time;
  in.date_value = response_time;
  if (const std::string* d = response.get("date")) {
    int64_t parsed = parseHttpDate(*d);
    if (parsed >= 0) in.date_value = parsed;
  }
  if (const std::string* a = response.get("age")) in.age_value = deltaSeconds(*a);
  return in;
}

int64_t currentAge(const AgeInputs& in, int64_t now) {
  int64_t apparent_age = std::max<int64_t>(0, in.response_time - in.date_value);
  int64_t response_delay = std::max<int64_t>(0, in.response_time - in.request_time);
  int64_t corrected_age_value = in.age_value + response_delay;
  int64_t corrected_initial_age = std::max(apparent_age, corrected_age_value);
  int64_t resident_time = std::max<int64_t>(0, now - in.response_time);
  return corrected_initial_age + resident_time;
}

std::vector<std::string> varyNames(const http::HeaderMap& response, bool* star) {
  std::vector<std::string> names;
  *star = false;
  for (const auto& f : response.fields()) {
    if (f.name != "vary") continue;
    for (absl::string_view part : absl::StrSplit(f.value, ',')) {
      std::string name = absl::AsciiStrToLower(trim(part));
      if (name.empty()) continue;
      if (name == "*") *star = true;
      if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(std::move(name));
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string varyKey(const std::vector<std::string>& names, const http::HeaderMap& request) {
  std::string key;
  for (const std::string& name : names) {
    key += name;
    key += '=';
    bool first = true;
    for (const auto& f : request.fields()) {
      if (f.name != name) continue;
      if (!first) key += ',';
      first = false;
      for (absl::string_view part : absl::StrSplit(f.value, ',')) {
        if (key.back() != '=' && key.back() != ',') key += ',';
        absl::StrAppend(&key, trim(part));
      }
    }
    key += '\n';
  }
  return key;
}

ByteRange parseRange(std::string_view in, uint64_t length) {
  ByteRange r;
  absl::string_view value = trim(absl::string_view(in.data(), in.size()));
  if (!absl::ConsumePrefix(&value, "bytes=")) return r;
  value = trim(value);
  if (value.find(',') != absl::string_view::npos) return r;  // several ranges: serve all
  size_t dash = value.find('-');
  if (dash == absl::string_view::npos) return r;
  absl::string_view a = trim(value.substr(0, dash)), b = trim(value.substr(dash + 1));
  uint64_t first = 0, last = 0;
  if (a.empty()) {  // suffix range: the last N bytes
    if (!absl::SimpleAtoi(b, &last) || b.empty()) return r;
    if (last == 0 || length == 0) return r.kind = ByteRange::Kind::kUnsatisfiable, r;
    r.kind = ByteRange::Kind::kSatisfiable;
    r.first = length - std::min(last, length);
    r.last = length - 1;
    return r;
  }
  if (!absl::SimpleAtoi(a, &first)) return r;
  if (b.empty()) {
    last = UINT64_MAX;
  } else if (!absl::SimpleAtoi(b, &last) || last < first) {
    return r;
  }
  if (first >= length) return r.kind = ByteRange::Kind::kUnsatisfiable, r;
  r.kind = ByteRange::Kind::kSatisfiable;
  r.first = first;
  r.last = std::min(last, length - 1);
  return r;
}

bool etagMatches(std::string_view inm_in, std::string_view etag_in) {
  absl::string_view if_none_match(inm_in.data(), inm_in.size()), etag(etag_in.data(), etag_in.size());
  auto opaque = [](absl::string_view t) {
    t = trim(t);
    if (absl::StartsWith(t, "W/")) t.remove_prefix(2);
    return t;
  };
  if (etag.empty()) return false;
  absl::string_view want = opaque(etag);
  for (absl::string_view part : absl::StrSplit(if_none_match, ',')) {
    absl::string_view t = trim(part);
    if (t == "*" || opaque(t) == want) return true;
  }
  return false;
}

}  // namespace strait::filters::cache
