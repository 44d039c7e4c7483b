#include "sidecar/filters/compression/encoder.h"

namespace strait::filters::compression {

std::string_view encodingName(Encoding e) {
  switch (e) {
    case Encoding::kGzip:
      return "gzip";
    case Encoding::kBrotli:
      return "br";
    case Encoding::kZstd:
      return "zstd";
  }
  return "";
}

std::unique_ptr<Encoder> makeEncoder(Encoding encoding, const EncoderParams& params, uint64_t size_hint) {
  switch (encoding) {
    case Encoding::kGzip:
      return makeGzipEncoder(params);
    case Encoding::kBrotli:
      return makeBrotliEncoder(params, size_hint);
    case Encoding::kZstd:
      return makeZstdEncoder(params, size_hint);
  }
  return nullptr;
}

}  // namespace strait::filters::compression
