// Exports spans in the OpenTelemetry protocol: OTLP/HTTP with the JSON encoding, POST
// /v1/traces to each span's collector cluster, in batches (up to 512 spans, or what waited
// for a second), by one background thread. Workers call submit() and never wait: a span is
// handed over under a short lock and dropped (counted) when kMaxQueued spans already wait (a
// collector that is down or slow). A batch the collector does not take (no endpoint, connect
// or write failure, a non-2xx answer, no answer within 5 s) is dropped and counted as failed;
// spans are not retried (they would only pile up behind a collector that is down).
// THREADS: every method from any thread. start() once before the workers run; stop() at exit
// (flushes what waits).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "sidecar/net/address.h"
#include "sidecar/tracing/span.h"

namespace strait::tracing {

class SpanExporter {
 public:
  static constexpr size_t kMaxQueued = 10000;
  static constexpr size_t kBatch = 512;

  // Where a collector cluster is now (the live generation's first available endpoint).
  using Resolver = std::function<std::optional<net::Address>(const std::string& cluster)>;

  // `service_name`: the resource's service.name (the sidecar's node service).
  static void start(std::string service_name, Resolver resolver);
  static void stop();
  static void submit(Span&& span);

  static uint64_t exported();  // spans a collector accepted
  static uint64_t dropped();   // spans never sent: the queue was full
  static uint64_t failed();    // spans sent in a batch the collector did not accept

  // The OTLP JSON body of `spans` (exposed for tests).
  static std::string encode(const std::string& service_name, const std::vector<Span>& spans);
};

}  // namespace strait::tracing
