#include "sidecar/filters/compression/compression_stats.h"

#include "absl/strings/str_cat.h"

namespace strait::filters::compression {
namespace {

void counter(std::string* out, const std::string& name, const std::string& help, uint64_t value) {
  absl::StrAppend(out, "# HELP ", name, " ", help, "\n# TYPE ", name, " counter\n", name, " ", value, "\n");
}

}  // namespace

CompressionStats& compressionStats() {
  static CompressionStats* const stats = new CompressionStats();  // never destroyed: workers may outlive main
  return *stats;
}

void renderCompressionStats(std::string* out) {
  CompressionStats& s = compressionStats();
  uint64_t saved = 0;
  for (int i = 0; i < kEncodingCount; i++) {
    const std::string name = std::string(encodingName(static_cast<Encoding>(i)));
    const EncodingCounters& c = s.by_encoding[i];
    uint64_t in = c.bytes_in.load(std::memory_order_relaxed);
    uint64_t sent = c.bytes_out.load(std::memory_order_relaxed);
    const std::string base = "strait_compression_" + name;
    counter(out, base + "_total", absl::StrCat("Responses compressed with ", name, "."),
            c.responses.load(std::memory_order_relaxed));
    counter(out, base + "_bytes_in_total", absl::StrCat("Body bytes compressed with ", name, "."), in);
    counter(out, base + "_bytes_out_total", absl::StrCat("Bytes sent after ", name, " compression."), sent);
    if (in > sent) saved += in - sent;
  }
  counter(out, "strait_compression_bytes_saved_total", "Body bytes not sent thanks to compression (in - out).",
          saved);
  counter(out, "strait_compression_errors_total", "Compression streams that failed to start or broke.",
          s.errors.load(std::memory_order_relaxed));
}

}  // namespace strait::filters::compression
