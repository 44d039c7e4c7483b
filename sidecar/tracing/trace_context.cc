#include "sidecar/tracing/trace_context.h"

#include <string_view>

#include "sidecar/http/text.h"

namespace strait::tracing {
namespace {

// Parses exactly `len` (<= 16) hex digits; false on anything else.
bool parseHex(std::string_view s, uint64_t* out) {
  if (s.empty() || s.size() > 16) return false;
  uint64_t v = 0;
  for (char c : s) {
    int d = http::hexValue(c);
    if (d < 0) return false;
    v = (v << 4) | static_cast<uint64_t>(d);
  }
  *out = v;
  return true;
}

// A 32-digit (or, B3, 16-digit) trace id.
bool parseTraceId(std::string_view s, TraceId* out) {
  if (s.size() == 32) return parseHex(s.substr(0, 16), &out->hi) && parseHex(s.substr(16), &out->lo) && out->valid();
  if (s.size() == 16) {
    out->hi = 0;
    return parseHex(s, &out->lo) && out->valid();
  }
  return false;
}

bool parseSpanId(std::string_view s, uint64_t* out) { return s.size() == 16 && parseHex(s, out) && *out != 0; }

bool lowerHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::optional<TraceContext> fromTraceparent(std::string_view v) {
  // version "-" trace-id "-" parent-id "-" flags [ "-" more, versions after 00 ]
  if (v.size() < 55 || v[2] != '-' || v[35] != '-' || v[52] != '-') return std::nullopt;
  std::string_view version = v.substr(0, 2);
  if (!lowerHex(version) || version == "ff") return std::nullopt;
  if (version == "00" && v.size() != 55) return std::nullopt;
  if (v.size() > 55 && v[55] != '-') return std::nullopt;
  if (!lowerHex(v.substr(3, 32)) || !lowerHex(v.substr(36, 16)) || !lowerHex(v.substr(53, 2))) return std::nullopt;
  TraceContext c;
  uint64_t flags = 0;
  if (!parseTraceId(v.substr(3, 32), &c.trace_id) || !parseSpanId(v.substr(36, 16), &c.parent_span_id) ||
      !parseHex(v.substr(53, 2), &flags)) {
    return std::nullopt;
  }
  c.sampled = (flags & 1) != 0;
  c.format = TraceContext::Format::kW3C;
  return c;
}

// b3: {trace}-{span}[-{sampling}[-{parent}]], or just {sampling} (no context).
std::optional<TraceContext> fromB3(std::string_view v) {
  TraceContext c;
  c.format = TraceContext::Format::kB3Single;
  size_t d1 = v.find('-');
  if (d1 == std::string_view::npos) return std::nullopt;
  size_t d2 = v.find('-', d1 + 1);
  std::string_view span = v.substr(d1 + 1, d2 == std::string_view::npos ? std::string_view::npos : d2 - d1 - 1);
  if (!parseTraceId(v.substr(0, d1), &c.trace_id) || !parseSpanId(span, &c.parent_span_id)) return std::nullopt;
  if (d2 != std::string_view::npos) {
    size_t d3 = v.find('-', d2 + 1);
    std::string_view s = v.substr(d2 + 1, d3 == std::string_view::npos ? std::string_view::npos : d3 - d2 - 1);
    if (s == "1" || s == "d") c.sampled = true;
    else if (s == "0") c.sampled = false;
    else return std::nullopt;
  }
  return c;
}

std::optional<TraceContext> fromB3Multi(const http::HeaderMap& h) {
  const std::string* trace = h.get("x-b3-traceid");
  const std::string* span = h.get("x-b3-spanid");
  if (trace == nullptr || span == nullptr) return std::nullopt;
  TraceContext c;
  c.format = TraceContext::Format::kB3Multi;
  if (!parseTraceId(*trace, &c.trace_id) || !parseSpanId(*span, &c.parent_span_id)) return std::nullopt;
  const std::string* flags = h.get("x-b3-flags");
  const std::string* sampled = h.get("x-b3-sampled");
  if (flags != nullptr && *flags == "1") c.sampled = true;
  else if (sampled != nullptr && (*sampled == "1" || *sampled == "true")) c.sampled = true;
  else if (sampled != nullptr && (*sampled == "0" || *sampled == "false")) c.sampled = false;
  return c;
}

}  // namespace

std::string toHex(uint64_t v) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; i--, v >>= 4) out[i] = kHex[v & 0xf];
  return out;
}

std::string toHex(const TraceId& id) { return toHex(id.hi) + toHex(id.lo); }

std::optional<TraceContext> extract(const http::HeaderMap& headers) {
  if (const std::string* tp = headers.get("traceparent")) {
    auto c = fromTraceparent(*tp);
    if (c) {
      if (const std::string* ts = headers.get("tracestate"); ts != nullptr && ts->size() <= 512) c->tracestate = *ts;
      return c;
    }
  }
  if (const std::string* b3 = headers.get("b3")) {
    if (auto c = fromB3(*b3)) return c;
  }
  return fromB3Multi(headers);
}

void inject(const TraceContext& context, uint64_t span_id, bool sampled, http::HeaderMap* headers) {
  std::string trace = toHex(context.trace_id);
  std::string span = toHex(span_id);
  headers->set("traceparent", "00-" + trace + "-" + span + (sampled ? "-01" : "-00"));
  if (!context.tracestate.empty()) headers->set("tracestate", context.tracestate);
  else headers->remove("tracestate");
  if (context.format == TraceContext::Format::kB3Single) {
    headers->set("b3", trace + "-" + span + (sampled ? "-1" : "-0"));
  } else if (context.format == TraceContext::Format::kB3Multi) {
    headers->set("x-b3-traceid", trace);
    headers->set("x-b3-spanid", span);
    headers->set("x-b3-sampled", sampled ? "1" : "0");
    headers->remove("x-b3-parentspanid");  // the parent is our span, which the sender does not know
    headers->remove("x-b3-flags");
  }
}

}  // namespace strait::tracing
