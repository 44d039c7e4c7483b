// Trace context propagation, W3C Trace Context (traceparent, tracestate) and B3 (the single
// `b3` header and the multi-header X-B3-*): read from a request, and written on the upstream
// request with this sidecar's span as the parent. Pure functions, no I/O: fuzzable, and
// hostile input is only ever "no context" (a new trace starts), never an error.
// THREADS: any.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "sidecar/http/headers.h"

namespace strait::tracing {

struct TraceId {
  uint64_t hi = 0;
  uint64_t lo = 0;
  bool valid() const { return hi != 0 || lo != 0; }
  bool operator==(const TraceId& o) const { return hi == o.hi && lo == o.lo; }
};

// What a request says about the trace it belongs to.
struct TraceContext {
  enum class Format { kW3C, kB3Single, kB3Multi };
  TraceId trace_id;
  uint64_t parent_span_id = 0;  // the caller's span
  // The caller's sampling decision; nullopt when it left it to us (B3 without a flag).
  std::optional<bool> sampled;
  std::string tracestate;       // W3C: passed on unchanged
  Format format = Format::kW3C;
};

// The request's context: traceparent first (version 00, or a later version read as 00 with
// its extra fields ignored), then b3, then X-B3-TraceId/X-B3-SpanId. Nullopt when there is
// none or it is malformed (all-zero ids, bad hex, wrong lengths, version ff).
std::optional<TraceContext> extract(const http::HeaderMap& headers);

// Writes the context of a request whose current span is `span_id` into `headers`:
// traceparent (and tracestate if any) always; b3 or X-B3-* too when the caller used B3, so
// that a B3-only service behind keeps its trace. Replaces what the headers had.
void inject(const TraceContext& context, uint64_t span_id, bool sampled, http::HeaderMap* headers);

// Lower-case hex: 32 digits for a trace id, 16 for a span id.
std::string toHex(const TraceId& id);
std::string toHex(uint64_t span_id);

}  // namespace strait::tracing
