#include "sidecar/router/background_request.h"

#include <utility>

#include "sidecar/router/header_utils.h"

namespace strait::proxy {

BackgroundRequest::BackgroundRequest(WorkerContext& ctx, Params params,
                                     std::unique_ptr<filters::BackgroundResponseHandler> handler)
    : DetachedExchange(ctx, params.cluster, params.timeout_ms, params.head.method == "HEAD"),
      params_(std::move(params)), handler_(std::move(handler)) {}

void BackgroundRequest::encodeRequest(const EndpointInfo& endpoint, std::string* out) {
  http::RequestHead& head = params_.head;
  upstream_host_ = endpoint.address.toString();
  if (params_.auto_host_rewrite) head.headers.set("host", upstream_host_);
  head.headers.remove("transfer-encoding");
  head.headers.remove("content-length");
  head.headers.set("connection", "close");
  http::encodeRequestHead(head, out);
  WorkerStats::inc(ctx_.stats().upstream_rq_total);
}

void BackgroundRequest::onResponseHead(http::StreamId, http::ResponseHead&& head, http::BodyFraming, uint64_t) {
  if (head.status < 200) return;  // interim
  head_seen_ = true;
  stripHopByHop(head.headers, /*keep_te_trailers=*/false);
  HeaderVars vars{params_.client_ip, params_.request_id, params_.peer_identity, params_.route->name, upstream_host_};
  params_.route->response_headers.apply(head.headers, vars);
  handler_->onHead(head);
}

void BackgroundRequest::onBody(http::StreamId, const char* data, size_t len) {
  if (head_seen_) handler_->onData(data, len);
}

void BackgroundRequest::onFinished(bool complete) {
  if (complete && head_seen_) {
    handler_->onComplete();
  } else {
    handler_->onFailure();
  }
  handler_.reset();
}

}  // namespace strait::proxy
