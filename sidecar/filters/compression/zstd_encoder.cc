// Zstandard: ZSTD_compressStream2 on a ZSTD_CCtx (continue / flush / end).
// ZSTD_c_srcSizeHint is an "experimental" parameter (a value passed to the stable
// ZSTD_CCtx_setParameter; libzstd ignores parameters it does not know).
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>

#include <algorithm>

#include "sidecar/filters/compression/encoder.h"

namespace strait::filters::compression {
namespace {

struct CctxDeleter {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};
using CctxPtr = std::unique_ptr<ZSTD_CCtx, CctxDeleter>;

class ZstdEncoder final : public Encoder {
 public:
  explicit ZstdEncoder(CctxPtr cctx) : cctx_(std::move(cctx)) {}

  bool write(const char* data, size_t len, bool flush, std::string* out) override {
    return run(data, len, flush ? ZSTD_e_flush : ZSTD_e_continue, out);
  }
  bool finish(std::string* out) override { return run(nullptr, 0, ZSTD_e_end, out); }

 private:
  bool run(const char* data, size_t len, ZSTD_EndDirective mode, std::string* out) {
    ZSTD_inBuffer in{data, len, 0};
    const size_t step = ZSTD_CStreamOutSize();
    for (;;) {
      size_t old = out->size();
      out->resize(old + step);
      ZSTD_outBuffer ob{&(*out)[old], step, 0};
      size_t remaining = ZSTD_compressStream2(cctx_.get(), &ob, &in, mode);
      out->resize(old + ob.pos);
      if (ZSTD_isError(remaining)) return false;
      // continue: done when the input is consumed; flush/end: when nothing is left inside.
      bool done = mode == ZSTD_e_continue ? in.pos == in.size : remaining == 0;
      if (done) return true;
    }
  }

  CctxPtr cctx_;
};

}  // namespace

std::unique_ptr<Encoder> makeZstdEncoder(const EncoderParams& params, uint64_t size_hint) {
  CctxPtr cctx(ZSTD_createCCtx());
  if (!cctx) return nullptr;
  if (ZSTD_isError(ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_compressionLevel, params.zstd_level))) return nullptr;
  if (params.zstd_window_log != 0 &&
      ZSTD_isError(ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_windowLog, params.zstd_window_log))) {
    return nullptr;
  }
  // Not ZSTD_CCtx_setPledgedSrcSize: a hint cannot break the stream if the body is shorter.
  if (size_hint != 0) {
    int hint = static_cast<int>(std::min<uint64_t>(size_hint, ZSTD_SRCSIZEHINT_MAX));
    (void)ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_srcSizeHint, hint);
  }
  return std::make_unique<ZstdEncoder>(std::move(cctx));
}

}  // namespace strait::filters::compression
