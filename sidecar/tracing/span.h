// One finished span, as a worker hands it to the exporter (span_exporter.h).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "sidecar/tracing/trace_context.h"

namespace strait::tracing {

struct Span {
  enum class Kind { kServer, kClient };
  TraceId trace_id;
  uint64_t span_id = 0;
  uint64_t parent_span_id = 0;  // 0: a root span
  Kind kind = Kind::kServer;
  std::string name;
  int64_t start_unix_ns = 0;
  int64_t end_unix_ns = 0;
  bool error = false;  // OTLP status ERROR
  std::vector<std::pair<std::string, std::string>> attributes;  // string values
  std::vector<std::pair<std::string, int64_t>> int_attributes;
  std::string collector_cluster;  // where it goes
};

}  // namespace strait::tracing
