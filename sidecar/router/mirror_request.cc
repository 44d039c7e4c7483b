#include "sidecar/router/mirror_request.h"

#include <utility>

namespace strait::proxy {

MirrorRequest::MirrorRequest(WorkerContext& ctx, std::shared_ptr<const ClusterInfo> cluster,
                             http::RequestHead head, uint32_t max_body_bytes, int64_t timeout_ms)
    : DetachedExchange(ctx, std::move(cluster), timeout_ms, head.method == "HEAD"),
      head_(std::move(head)), max_body_bytes_(max_body_bytes) {}

std::string MirrorRequest::shadowHost(const std::string& host) {
  std::string out = host;
  size_t colon = out.rfind(':');
  bool has_port = colon != std::string::npos &&
                  (out.find(']') != std::string::npos ? out.rfind(']') < colon : out.find(':') == colon);
  if (has_port) {
    out.insert(colon, "-shadow");
  } else {
    out += "-shadow";
  }
  return out;
}

bool MirrorRequest::addBody(const char* data, size_t len) {
  if (body_.size() + len > max_body_bytes_) return false;
  body_.append(data, len);
  return true;
}

void MirrorRequest::encodeRequest(const EndpointInfo&, std::string* out) {
  head_.headers.remove("transfer-encoding");
  head_.headers.set("content-length", std::to_string(body_.size()));
  if (body_.empty() && (head_.method == "GET" || head_.method == "HEAD")) head_.headers.remove("content-length");
  head_.headers.set("connection", "close");
  http::encodeRequestHead(head_, out);
  *out += body_;
  std::string().swap(body_);
  WorkerStats::inc(ctx_.stats().mirror_total);
}

}  // namespace strait::proxy
