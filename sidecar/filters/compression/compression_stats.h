// Process-wide counters of the compression filter, printed by the admin /stats page.
// THREADS: any; relaxed atomics (each counter is exact, a snapshot of several is not).
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "sidecar/filters/compression/encoder.h"

namespace strait::filters::compression {

struct EncodingCounters {
  std::atomic<uint64_t> responses{0};  // responses compressed with this encoding
  std::atomic<uint64_t> bytes_in{0};   // body bytes given to the encoder
  std::atomic<uint64_t> bytes_out{0};  // compressed bytes sent
};

struct CompressionStats {
  EncodingCounters by_encoding[kEncodingCount];  // indexed by Encoding
  std::atomic<uint64_t> errors{0};  // encoder set-up or stream failures
  EncodingCounters& of(Encoding e) { return by_encoding[static_cast<int>(e)]; }
};

CompressionStats& compressionStats();

// Appends the counters in the Prometheus text format.
void renderCompressionStats(std::string* out);

}  // namespace strait::filters::compression
