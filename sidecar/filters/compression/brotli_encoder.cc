// Brotli: libbrotlienc's streaming API, output taken with BrotliEncoderTakeOutput (no copy
// through an intermediate buffer of ours).
#include <brotli/encode.h>

#include <algorithm>

#include "sidecar/filters/compression/encoder.h"

namespace strait::filters::compression {
namespace {

struct BrotliStateDeleter {
  void operator()(BrotliEncoderState* s) const { BrotliEncoderDestroyInstance(s); }
};
using BrotliStatePtr = std::unique_ptr<BrotliEncoderState, BrotliStateDeleter>;

class BrotliEncoder final : public Encoder {
 public:
  explicit BrotliEncoder(BrotliStatePtr state) : state_(std::move(state)) {}

  bool write(const char* data, size_t len, bool flush, std::string* out) override {
    return run(data, len, flush ? BROTLI_OPERATION_FLUSH : BROTLI_OPERATION_PROCESS, out);
  }
  bool finish(std::string* out) override { return run(nullptr, 0, BROTLI_OPERATION_FINISH, out); }

 private:
  bool run(const char* data, size_t len, BrotliEncoderOperation op, std::string* out) {
    const uint8_t* next_in = reinterpret_cast<const uint8_t*>(data);
    size_t avail_in = len;
    for (;;) {
      size_t avail_out = 0;
      if (!BrotliEncoderCompressStream(state_.get(), op, &avail_in, &next_in, &avail_out, nullptr, nullptr)) {
        return false;
      }
      size_t produced = 0;
      const uint8_t* bytes = BrotliEncoderTakeOutput(state_.get(), &produced);
      out->append(reinterpret_cast<const char*>(bytes), produced);
      if (BrotliEncoderHasMoreOutput(state_.get())) continue;
      if (op == BROTLI_OPERATION_FINISH) {
        if (BrotliEncoderIsFinished(state_.get())) return true;
      } else if (avail_in == 0) {
        return true;
      }
    }
  }

  BrotliStatePtr state_;
};

}  // namespace

std::unique_ptr<Encoder> makeBrotliEncoder(const EncoderParams& params, uint64_t size_hint) {
  BrotliStatePtr state(BrotliEncoderCreateInstance(nullptr, nullptr, nullptr));
  if (!state) return nullptr;
  if (!BrotliEncoderSetParameter(state.get(), BROTLI_PARAM_QUALITY, static_cast<uint32_t>(params.brotli_quality)) ||
      !BrotliEncoderSetParameter(state.get(), BROTLI_PARAM_LGWIN, static_cast<uint32_t>(params.brotli_window_bits))) {
    return nullptr;
  }
  // A hint only (the stream stays valid whatever the real size); brotli caps it at 1 GiB.
  uint32_t hint = static_cast<uint32_t>(std::min<uint64_t>(size_hint, 1u << 30));
  if (hint != 0) BrotliEncoderSetParameter(state.get(), BROTLI_PARAM_SIZE_HINT, hint);
  return std::make_unique<BrotliEncoder>(std::move(state));
}

}  // namespace strait::filters::compression
