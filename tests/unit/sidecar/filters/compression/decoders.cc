#include "tests/unit/sidecar/filters/compression/decoders.h"

#include <brotli/decode.h>
#include <zlib.h>
#include <zstd.h>

namespace strait::filters::compression::testing {
namespace {

class GzipDecoder final : public Decoder {
 public:
  GzipDecoder() { ok_ = inflateInit2(&zs_, 16 + 15) == Z_OK; }
  ~GzipDecoder() override { inflateEnd(&zs_); }
  bool feed(const std::string& in, std::string* out) override {
    zs_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    zs_.avail_in = static_cast<uInt>(in.size());
    char buf[16384];
    while (ok_ && !done_) {
      zs_.next_out = reinterpret_cast<Bytef*>(buf);
      zs_.avail_out = sizeof(buf);
      int rc = inflate(&zs_, Z_NO_FLUSH);
      out->append(buf, sizeof(buf) - zs_.avail_out);
      if (rc == Z_STREAM_END) done_ = true;
      else if (rc == Z_BUF_ERROR) break;
      else if (rc != Z_OK) ok_ = false;
      if (zs_.avail_in == 0 && zs_.avail_out != 0) break;
    }
    return ok_ && (zs_.avail_in == 0);
  }
  bool finished() const override { return done_; }

 private:
  z_stream zs_{};
  bool ok_ = false;
  bool done_ = false;
};

class BrotliDecoder final : public Decoder {
 public:
  BrotliDecoder() : st_(BrotliDecoderCreateInstance(nullptr, nullptr, nullptr)) {}
  ~BrotliDecoder() override { BrotliDecoderDestroyInstance(st_); }
  bool feed(const std::string& in, std::string* out) override {
    const uint8_t* next_in = reinterpret_cast<const uint8_t*>(in.data());
    size_t avail_in = in.size();
    for (;;) {
      size_t avail_out = 0;
      BrotliDecoderResult r = BrotliDecoderDecompressStream(st_, &avail_in, &next_in, &avail_out, nullptr, nullptr);
      size_t n = 0;
      const uint8_t* bytes = BrotliDecoderTakeOutput(st_, &n);
      out->append(reinterpret_cast<const char*>(bytes), n);
      if (r == BROTLI_DECODER_RESULT_ERROR) return false;
      if (r == BROTLI_DECODER_RESULT_SUCCESS) return avail_in == 0;
      if (r == BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT) return true;
    }
  }
  bool finished() const override { return BrotliDecoderIsFinished(st_); }

 private:
  BrotliDecoderState* st_;
};

class ZstdDecoder final : public Decoder {
 public:
  ZstdDecoder() : d_(ZSTD_createDCtx()) {}
  ~ZstdDecoder() override { ZSTD_freeDCtx(d_); }
  bool feed(const std::string& in, std::string* out) override {
    ZSTD_inBuffer ib{in.data(), in.size(), 0};
    char buf[16384];
    // Until a call makes no progress: input taken in may still be inside the decoder.
    for (;;) {
      ZSTD_outBuffer ob{buf, sizeof(buf), 0};
      size_t before = ib.pos;
      size_t r = ZSTD_decompressStream(d_, &ob, &ib);
      if (ZSTD_isError(r)) return false;
      out->append(buf, ob.pos);
      if (r == 0) done_ = true;
      if (ob.pos == 0 && ib.pos == before) return ib.pos == ib.size;
    }
  }
  bool finished() const override { return done_; }

 private:
  ZSTD_DCtx* d_;
  bool done_ = false;
};

}  // namespace

std::unique_ptr<Decoder> makeDecoder(Encoding e) {
  switch (e) {
    case Encoding::kGzip:
      return std::make_unique<GzipDecoder>();
    case Encoding::kBrotli:
      return std::make_unique<BrotliDecoder>();
    case Encoding::kZstd:
      return std::make_unique<ZstdDecoder>();
  }
  return nullptr;
}

bool decodeAll(Encoding e, const std::string& in, std::string* out) {
  auto d = makeDecoder(e);
  return d->feed(in, out) && d->finished();
}

}  // namespace strait::filters::compression::testing
