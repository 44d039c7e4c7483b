#include "sidecar/proxy/background_request.h"

#include <utility>

#include "sidecar/proxy/cluster_manager.h"
#include "sidecar/proxy/header_utils.h"

namespace strait::proxy {

BackgroundRequest::BackgroundRequest(WorkerContext& ctx, Params params,
                                     std::unique_ptr<filters::BackgroundResponseHandler> handler)
    : ctx_(ctx), params_(std::move(params)), handler_(std::move(handler)),
      timer_(ctx.dispatcher(), [this] { finish(false); }) {}

BackgroundRequest::~BackgroundRequest() { closeUpstream(); }

void BackgroundRequest::send(std::unique_ptr<BackgroundRequest> request) {
  BackgroundRequest* raw = request.get();
  raw->ctx_.clusterManager().adopt(std::move(request));
  if (!raw->start()) raw->finish(false);
}

bool BackgroundRequest::start() {
  const ClusterInfo& cluster = *params_.cluster;
  LoadBalancer& lb = ctx_.clusterManager().loadBalancer(params_.cluster);
  int index = lb.pick(LbContext{ctx_.dispatcher().nowMs(), std::nullopt});
  if (index < 0) return false;
  const EndpointInfo& endpoint = cluster.endpoints[index];
  if (cluster.state->connections.load(std::memory_order_relaxed) >= cluster.max_connections) return false;
  pool_ = &ctx_.clusterManager().pool(cluster, endpoint);
  bool reused = false;
  upstream_ = pool_->acquire(&reused, /*fresh=*/true);  // its own connection, never pooled
  if (!upstream_) return false;
  upstream_->setCallbacks(this);
  parser_.emplace(http::H1Parser::Mode::kResponse, this);
  parser_->expectHeadResponse(params_.head.method == "HEAD");
  http::RequestHead& head = params_.head;
  upstream_host_ = endpoint.address.toString();
  if (params_.auto_host_rewrite) head.headers.set("host", upstream_host_);
  head.headers.remove("transfer-encoding");
  head.headers.remove("content-length");
  head.headers.set("connection", "close");
  std::string out;
  http::encodeRequestHead(head, &out);
  upstream_->write(out);
  WorkerStats::inc(ctx_.stats().upstream_rq_total);
  timer_.enableMs(params_.timeout_ms);
  return true;
}

void BackgroundRequest::onRead(net::Buffer& in) {
  while (!finished_ && !in.empty()) {
    size_t n = parser_->execute(in.data(), in.size());
    in.drain(n);
    if (n == 0) break;
  }
  if (!finished_ && !in.empty()) in.drain(in.size());
}

void BackgroundRequest::onEvent(net::ConnectionEvent event) {
  if (event == net::ConnectionEvent::kConnected) return;
  // Closed: a close-delimited body ends here (onMessageComplete), anything else failed.
  if (head_seen_ && parser_) parser_->finish();
  finish(false);
}

void BackgroundRequest::onResponseHead(http::ResponseHead&& head, http::BodyFraming, uint64_t) {
  if (head.status < 200) return;  // interim
  head_seen_ = true;
  stripHopByHop(head.headers, /*keep_te_trailers=*/false);
  HeaderVars vars{params_.client_ip, params_.request_id, params_.peer_identity, params_.route->name, upstream_host_};
  params_.route->response_headers.apply(head.headers, vars);
  handler_->onHead(head);
}

void BackgroundRequest::onBody(const char* data, size_t len) {
  if (head_seen_) handler_->onData(data, len);
}

void BackgroundRequest::closeUpstream() {
  timer_.disable();
  if (!upstream_) return;
  upstream_->setCallbacks(nullptr);
  upstream_->close(net::Connection::CloseType::kNoFlush);
  pool_->onConnectionClosed();
  WorkerStats::dec(ctx_.stats().upstream_cx_active);
  ctx_.dispatcher().deferredDelete(std::move(upstream_));
}

void BackgroundRequest::finish(bool complete) {
  if (finished_) return;
  finished_ = true;
  closeUpstream();
  if (complete && head_seen_) {
    handler_->onComplete();
  } else {
    handler_->onFailure();
  }
  handler_.reset();
  ctx_.clusterManager().release(this);
}

}  // namespace strait::proxy
