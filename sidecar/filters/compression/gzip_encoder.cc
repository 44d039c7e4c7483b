// gzip: zlib deflate with the gzip wrapper (window bits + 16).
#include <zlib.h>

#include <algorithm>

#include "sidecar/filters/compression/encoder.h"

namespace strait::filters::compression {
namespace {

constexpr size_t kOutStep = 16 * 1024;  // output grown by this much per deflate() call

class GzipEncoder final : public Encoder {
 public:
  explicit GzipEncoder(const EncoderParams& p) {
    ok_ = deflateInit2(&zs_, p.gzip_level, Z_DEFLATED, 16 + p.gzip_window_bits, p.gzip_memory_level,
                       Z_DEFAULT_STRATEGY) == Z_OK;
  }
  ~GzipEncoder() override {
    if (ok_) deflateEnd(&zs_);
  }
  GzipEncoder(const GzipEncoder&) = delete;
  GzipEncoder& operator=(const GzipEncoder&) = delete;

  bool ok() const { return ok_; }
  bool write(const char* data, size_t len, bool flush, std::string* out) override {
    return run(data, len, flush ? Z_SYNC_FLUSH : Z_NO_FLUSH, out);
  }
  bool finish(std::string* out) override { return run(nullptr, 0, Z_FINISH, out); }

 private:
  // Feeds the input (in pieces zlib's uInt can hold) and drains the output.
  bool run(const char* data, size_t len, int mode, std::string* out) {
    if (!ok_) return false;
    do {
      uInt piece = static_cast<uInt>(std::min<size_t>(len, 1u << 30));
      zs_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data));
      zs_.avail_in = piece;
      data += piece;
      len -= piece;
      int step_mode = len > 0 ? Z_NO_FLUSH : mode;
      if (!drain(step_mode, out)) return false;
    } while (len > 0);
    return true;
  }
  bool drain(int mode, std::string* out) {
    for (;;) {
      size_t old = out->size();
      out->resize(old + kOutStep);
      zs_.next_out = reinterpret_cast<Bytef*>(&(*out)[old]);
      zs_.avail_out = static_cast<uInt>(kOutStep);
      int rc = deflate(&zs_, mode);
      out->resize(old + kOutStep - zs_.avail_out);
      if (rc == Z_STREAM_ERROR) return ok_ = false;
      if (mode == Z_FINISH) {
        if (rc == Z_STREAM_END) return true;
        continue;
      }
      // Done once zlib left output room: all input consumed and, if asked, flushed.
      if (zs_.avail_out != 0) return true;
    }
  }

  z_stream zs_{};
  bool ok_ = false;
};

}  // namespace

std::unique_ptr<Encoder> makeGzipEncoder(const EncoderParams& params) {
  auto e = std::make_unique<GzipEncoder>(params);
  if (!e->ok()) return nullptr;
  return e;
}

}  // namespace strait::filters::compression
