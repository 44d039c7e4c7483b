// Streaming decoders from the compression libraries themselves, for round-trip tests.
#pragma once

#include <memory>
#include <string>

#include "sidecar/filters/compression/encoder.h"

namespace strait::filters::compression::testing {

class Decoder {
 public:
  virtual ~Decoder() = default;
  // Decodes a piece of the stream, appending the output; false on a corrupt stream.
  virtual bool feed(const std::string& in, std::string* out) = 0;
  // The stream's end marker has been decoded.
  virtual bool finished() const = 0;
};

std::unique_ptr<Decoder> makeDecoder(Encoding e);

// Whole-stream decode; false if corrupt or incomplete.
bool decodeAll(Encoding e, const std::string& in, std::string* out);

}  // namespace strait::filters::compression::testing
