// Compression throughput (MB/s of input) per encoding and level, as the compression filter
// runs it: the body fed in 16 KiB pieces (a typical upstream read), each flushed, then
// finished. The corpus is generated: JSON API responses and HTML, 1 MiB. The "ratio"
// counter is output/input. Run: build/bench/micro/compression_bench (see bench/README.md).
#include <benchmark/benchmark.h>

#include <random>
#include <string>

#include "sidecar/filters/compression/encoder.h"

namespace strait::filters::compression {
namespace {

constexpr size_t kCorpusBytes = 1 << 20;

// Half JSON records with varied values, half HTML table rows: text a sidecar would compress.
const std::string& corpus() {
  static const std::string text = [] {
    std::mt19937 rng(42);
    const char* const words[] = {"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"};
    std::string s;
    while (s.size() < kCorpusBytes / 2) {
      s += "{\"id\":" + std::to_string(rng() % 1000000) + ",\"user\":\"" + words[rng() % 8] + "." +
           words[rng() % 8] + "\",\"active\":" + (rng() % 2 ? "true" : "false") + ",\"balance\":" +
           std::to_string(rng() % 100000) + "." + std::to_string(rng() % 100) + ",\"tags\":[\"" + words[rng() % 8] +
           "\"]}\n";
    }
    while (s.size() < kCorpusBytes) {
      s += "<tr class=\"row\"><td>" + std::to_string(rng() % 100000) + "</td><td>" + words[rng() % 8] +
           "</td><td><a href=\"/item/" + std::to_string(rng() % 5000) + "\">details</a></td></tr>\n";
    }
    s.resize(kCorpusBytes);
    return s;
  }();
  return text;
}

EncoderParams paramsFor(Encoding e, int level) {
  EncoderParams p;
  if (e == Encoding::kGzip) p.gzip_level = level;
  if (e == Encoding::kBrotli) p.brotli_quality = level;
  if (e == Encoding::kZstd) p.zstd_level = level;
  return p;
}

void BM_Compress(benchmark::State& state) {
  const Encoding e = static_cast<Encoding>(state.range(0));
  const int level = static_cast<int>(state.range(1));
  const size_t piece = static_cast<size_t>(state.range(2));
  const std::string& in = corpus();
  std::string out;
  out.reserve(in.size() + 65536);
  for (auto _ : state) {
    out.clear();
    auto enc = makeEncoder(e, paramsFor(e, level));
    for (size_t pos = 0; pos < in.size(); pos += piece) {
      enc->write(in.data() + pos, std::min(piece, in.size() - pos), /*flush=*/true, &out);
    }
    enc->finish(&out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * in.size()));
  state.counters["ratio"] = static_cast<double>(out.size()) / static_cast<double>(in.size());
  state.SetLabel(std::string(encodingName(e)) + " level " + std::to_string(level) + ", " +
                 std::to_string(piece / 1024) + " KiB pieces");
}

void args(benchmark::internal::Benchmark* b) {
  const int gzip = static_cast<int>(Encoding::kGzip);
  const int br = static_cast<int>(Encoding::kBrotli);
  const int zstd = static_cast<int>(Encoding::kZstd);
  for (int level : {1, 6, 9}) b->Args({gzip, level, 16384});
  for (int level : {0, 4, 6, 9, 11}) b->Args({br, level, 16384});
  for (int level : {1, 3, 9, 19}) b->Args({zstd, level, 16384});
  // The defaults with the whole body in one piece: what per-chunk flushing costs.
  b->Args({gzip, 6, 1 << 20});
  b->Args({br, 4, 1 << 20});
  b->Args({zstd, 3, 1 << 20});
}

BENCHMARK(BM_Compress)->Apply(args)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace strait::filters::compression

BENCHMARK_MAIN();
