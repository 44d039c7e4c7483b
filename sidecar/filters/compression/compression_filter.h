// The Compression HTTP filter (see filter_compression.proto for the behaviour): remembers
// what the request accepts, decides on the response head whether to compress, and then
// re-encodes the body chunk by chunk (each chunk flushed, the stream finished with the body).
// THREADS: the request's worker (StreamFilter contract, sidecar/filters/filter.h).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "sidecar/filters/compression/compression_config.h"
#include "sidecar/filters/filter.h"
#include "strait/v1/filter_compression.pb.h"

namespace strait::filters::compression {

class CompressionFilter final : public StreamFilter {
 public:
  explicit CompressionFilter(std::shared_ptr<const CompressionConfig> config) : config_(std::move(config)) {}

  FilterStatus onRequestHead(http::RequestHead& head, bool end_stream) override;
  void onResponseHead(http::ResponseHead& head, http::BodyFraming& framing, uint64_t& length) override;
  bool transformsBody() const override { return encoder_ != nullptr; }
  void transformResponseData(const char* data, size_t len, std::string* out) override;
  void finishResponseData(std::string* out) override;

 private:
  void fail();

  std::shared_ptr<const CompressionConfig> config_;
  std::optional<Encoding> accepted_;  // the encoding the request allows, if any
  bool head_request_ = false;
  std::unique_ptr<Encoder> encoder_;  // set while the response is compressed
  bool broken_ = false;               // the encoder failed: the rest of the body is dropped
};

class CompressionFilterFactory final : public FilterFactory {
 public:
  explicit CompressionFilterFactory(std::shared_ptr<const CompressionConfig> config) : config_(std::move(config)) {}
  std::string_view kind() const override { return "compression"; }
  std::unique_ptr<StreamFilter> create() const override { return std::make_unique<CompressionFilter>(config_); }

 private:
  std::shared_ptr<const CompressionConfig> config_;
};

absl::StatusOr<std::shared_ptr<const FilterFactory>> createCompressionFilterFactory(
    const strait::v1::Compression& config);

}  // namespace strait::filters::compression
