#include "sidecar/filters/compression/compression_filter.h"

#include "sidecar/filters/compression/accept_encoding.h"
#include "sidecar/filters/compression/compression_stats.h"
#include "sidecar/http/text.h"

namespace strait::filters::compression {
namespace {

// Appends accept-encoding to vary (all vary fields become one), unless already listed or "*".
void addVary(http::HeaderMap& headers) {
  std::vector<std::string_view> values;
  for (const auto& f : headers.fields()) {
    if (f.name != "vary") continue;
    for (std::string_view t : http::splitOn(f.value, ',')) {
      t = http::trimOws(t);
      if (t == "*" || http::equalsIgnoreCase(t, "accept-encoding")) return;
    }
    if (!f.value.empty()) values.push_back(f.value);
  }
  values.emplace_back("accept-encoding");
  std::string joined;
  for (std::string_view v : values) joined.append(joined.empty() ? "" : ", ").append(v);
  headers.set("vary", std::move(joined));
}

// The compressed body is a different representation: a strong validator would lie (nginx
// does the same).
void weakenEtag(http::HeaderMap& headers) {
  for (auto& f : headers.fields()) {
    if (f.name == "etag" && f.value.compare(0, 2, "W/") != 0) f.value = "W/" + f.value;
  }
}

}  // namespace

FilterStatus CompressionFilter::onRequestHead(http::RequestHead& head, bool end_stream) {
  (void)end_stream;
  head_request_ = head.method == "HEAD";
  accepted_ = chooseEncoding(parseAcceptEncoding(head.headers), config_->preference);
  return FilterStatus::kContinue;
}

void CompressionFilter::onResponseHead(http::ResponseHead& head, http::BodyFraming& framing, uint64_t& length) {
  // A 304 (the upstream's, or a cache's answer to a client conditional) carries the vary and
  // etag its 200 would have had: the client's cache updates its stored response with them.
  if (head.status == 304) {
    if (!head_request_ && notModifiedQualifies(*config_, head)) {
      addVary(head.headers);
      if (accepted_) weakenEtag(head.headers);
    }
    return;
  }
  // A HEAD response carries the vary its GET would have (not the encoding: no body is made).
  if (head_request_) {
    if (headResponseQualifies(*config_, head)) addVary(head.headers);
    return;
  }
  if (!responseQualifies(*config_, head, framing, length, head_request_)) return;
  addVary(head.headers);
  if (!accepted_) return;
  const uint64_t size_hint = framing == http::BodyFraming::kContentLength ? length : 0;
  encoder_ = makeEncoder(*accepted_, config_->params, size_hint);
  if (!encoder_) {
    compressionStats().errors.fetch_add(1, std::memory_order_relaxed);
    return;  // sent as it is
  }
  compressionStats().of(*accepted_).responses.fetch_add(1, std::memory_order_relaxed);
  head.headers.remove("content-length");
  head.headers.remove("content-encoding");  // at most "identity"
  head.headers.set("content-encoding", std::string(encodingName(*accepted_)));
  weakenEtag(head.headers);
  framing = http::BodyFraming::kChunked;
  length = 0;
}

// Each chunk is flushed: the filter cannot emit bytes later on its own (no timer hook in the
// filter contract), and a streamed response must not stall inside the encoder. Upstream
// reads are large enough that the flush costs little ratio (see bench/README.md).
void CompressionFilter::transformResponseData(const char* data, size_t len, std::string* out) {
  if (broken_) return;
  size_t before = out->size();
  if (!encoder_->write(data, len, /*flush=*/true, out)) return fail();
  EncodingCounters& c = compressionStats().of(*accepted_);
  c.bytes_in.fetch_add(len, std::memory_order_relaxed);
  c.bytes_out.fetch_add(out->size() - before, std::memory_order_relaxed);
}

void CompressionFilter::finishResponseData(std::string* out) {
  if (broken_) return;
  size_t before = out->size();
  if (!encoder_->finish(out)) return fail();
  compressionStats().of(*accepted_).bytes_out.fetch_add(out->size() - before, std::memory_order_relaxed);
}

// The head already promised the encoding: nothing sensible can follow, so the stream is
// reset (the client sees an error, not a body that looks complete) and the failure counted.
void CompressionFilter::fail() {
  broken_ = true;
  compressionStats().errors.fetch_add(1, std::memory_order_relaxed);
  if (callbacks_ != nullptr) callbacks_->resetStream();
}

absl::StatusOr<std::shared_ptr<const FilterFactory>> createCompressionFilterFactory(
    const strait::v1::Compression& config) {
  auto compiled = compileCompressionConfig(config);
  if (!compiled.ok()) return compiled.status();
  return std::shared_ptr<const FilterFactory>(std::make_shared<CompressionFilterFactory>(std::move(*compiled)));
}

}  // namespace strait::filters::compression
