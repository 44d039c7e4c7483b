// The trace of one request at this sidecar: its context (the caller's, or a new trace), the
// sampling decision, the context each upstream attempt carries, and the spans: one SERVER
// span for the request and one CLIENT span per attempt (a child of the SERVER span), handed
// to the exporter when the request ends if the trace is sampled (or, with
// always_sample_errors, if the request failed).
// THREADS: the request's worker. OWNERSHIP: owned by the request's router stream.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "sidecar/http/headers.h"
#include "sidecar/http/stream_info.h"
#include "sidecar/tracing/span.h"
#include "sidecar/tracing/trace_context.h"

namespace strait::tracing {

// A listener's tracing settings (Listener.tracing), compiled.
struct TracingConfig {
  std::string collector_cluster;
  uint64_t sample_threshold = 0;  // a new trace is sampled when a random draw is below it
                                  // (UINT64_MAX: always, sample_rate 1)
  bool always_sample_errors = false;
};

class RequestTrace {
 public:
  // `headers`: the request as received. `random`: uniform 64-bit draws (ids, sampling).
  RequestTrace(std::shared_ptr<const TracingConfig> config, const http::HeaderMap& headers,
               absl::FunctionRef<uint64_t()> random, int64_t now_unix_ns);

  const TraceId& traceId() const { return context_.trace_id; }
  bool sampled() const { return sampled_; }

  // A new upstream attempt to `host` (number `attempt`, from 1): its CLIENT span starts, and
  // `headers` (the attempt's request) carry it as the parent. Ends the previous attempt's
  // span if it is still open (it failed and is being retried).
  void startAttempt(uint64_t span_id, uint32_t attempt, std::string_view host, int64_t now_unix_ns,
                    http::HeaderMap* headers);
  // The current attempt's outcome, when it is known: the upstream's status, or a failure.
  void attemptStatus(int status) { attempt_status_ = status; }
  void attemptFailed(http::ResponseFlag flag) { attempt_flag_ = flag; }
  // The request is over: the SERVER span (and an open CLIENT span) end, and the spans go to
  // the exporter if they are to be kept.
  void finish(const http::StreamInfo& info, int64_t now_unix_ns);

 private:
  void endAttempt(int64_t now_unix_ns);

  std::shared_ptr<const TracingConfig> config_;
  TraceContext context_;
  uint64_t server_span_id_ = 0;
  bool sampled_ = false;
  int64_t start_unix_ns_ = 0;
  std::vector<Span> attempts_;  // ended CLIENT spans
  bool attempt_open_ = false;
  int attempt_status_ = 0;
  http::ResponseFlag attempt_flag_ = http::ResponseFlag::kNone;
};

// Listener.tracing, compiled (null when the listener has none).
std::shared_ptr<const TracingConfig> compileTracing(const std::string& collector_cluster, double sample_rate,
                                                    bool always_sample_errors);

}  // namespace strait::tracing
