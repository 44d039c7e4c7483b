// Streaming encoders for the compression filter: one per content-coding, each an RAII wrapper
// around its library's stream object (zlib z_stream, BrotliEncoderState, ZSTD_CCtx).
// THREADS: an Encoder is used by one stream on one worker. ERRORS: never throw; write/finish
// return false when the library reports an error (the stream is then unusable).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace strait::filters::compression {

enum class Encoding { kGzip, kBrotli, kZstd };

constexpr int kEncodingCount = 3;

// The content-coding token: "gzip", "br", "zstd".
std::string_view encodingName(Encoding e);

// Parameters of every encoder (validated ranges: see filter_compression.proto).
struct EncoderParams {
  int gzip_level = 6;         // 1..9
  int gzip_window_bits = 15;  // 9..15
  int gzip_memory_level = 8;  // 1..9
  int brotli_quality = 4;     // 0..11
  int brotli_window_bits = 18;  // lgwin 10..24
  int zstd_level = 3;         // 1..19
  int zstd_window_log = 18;   // 10..23 (256 KiB by default, as brotli's window); 0: the level's own
};

class Encoder {
 public:
  virtual ~Encoder() = default;
  // Compresses `len` bytes, appending whatever the encoder produces to `out`. With `flush`,
  // everything given so far becomes decodable from the output (a sync flush).
  virtual bool write(const char* data, size_t len, bool flush, std::string* out) = 0;
  // Ends the stream (appends the trailer). Call once; write() must not follow.
  virtual bool finish(std::string* out) = 0;
};

// nullptr if the library cannot set up a stream (out of memory, bad parameters).
// `size_hint`: the body's length when known (0: unknown); brotli and zstd size their tables
// by it (a small response does not pay for a large window), output is the same format.
std::unique_ptr<Encoder> makeEncoder(Encoding encoding, const EncoderParams& params, uint64_t size_hint = 0);
std::unique_ptr<Encoder> makeGzipEncoder(const EncoderParams& params);
std::unique_ptr<Encoder> makeBrotliEncoder(const EncoderParams& params, uint64_t size_hint);
std::unique_ptr<Encoder> makeZstdEncoder(const EncoderParams& params, uint64_t size_hint);

}  // namespace strait::filters::compression
