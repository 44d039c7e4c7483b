#include "sidecar/upstream/detached_exchange.h"

#include <utility>

#include "sidecar/upstream/cluster_manager.h"

namespace strait::proxy {

DetachedExchange::DetachedExchange(WorkerContext& ctx, std::shared_ptr<const ClusterInfo> cluster,
                                   int64_t timeout_ms, bool head_request)
    : ctx_(ctx), cluster_(std::move(cluster)), timeout_ms_(timeout_ms), head_request_(head_request),
      timer_(ctx.dispatcher(), [this] { finish(false); }) {}

DetachedExchange::~DetachedExchange() { closeUpstream(); }

void DetachedExchange::launch(std::unique_ptr<DetachedExchange> exchange) {
  DetachedExchange* raw = exchange.get();
  raw->ctx_.clusterManager().adopt(std::move(exchange));
  if (!raw->start()) raw->finish(false);
}

bool DetachedExchange::start() {
  LoadBalancer& lb = ctx_.clusterManager().loadBalancer(cluster_);
  int index = lb.pick(LbContext{ctx_.dispatcher().nowMs(), std::nullopt});
  if (index < 0) return false;
  const EndpointInfo& endpoint = cluster_->endpoints[index];
  if (cluster_->state->connections.load(std::memory_order_relaxed) >= cluster_->max_connections) return false;
  pool_ = &ctx_.clusterManager().h1Pool(*cluster_, endpoint);
  bool reused = false;
  upstream_ = pool_->acquire(&reused, /*fresh=*/true);  // its own connection, never pooled
  if (!upstream_) return false;
  upstream_->setCallbacks(this);
  parser_.emplace(http::H1Parser::Mode::kResponse, this);
  parser_->expectHeadResponse(head_request_);
  std::string out;
  encodeRequest(endpoint, &out);
  upstream_->write(out);
  timer_.enableMs(timeout_ms_);
  return true;
}

void DetachedExchange::onRead(net::Buffer& in) {
  while (!finished_ && !in.empty()) {
    size_t n = parser_->execute(in.data(), in.size());
    in.drain(n);
    if (n == 0) break;
  }
  if (!finished_ && !in.empty()) in.drain(in.size());  // after the response: ignored
}

void DetachedExchange::onEvent(net::ConnectionEvent event) {
  if (event == net::ConnectionEvent::kConnected) return;
  // Closed: a close-delimited body ends here (onMessageComplete); anything else failed.
  if (parser_) parser_->finish();
  finish(false);
}

void DetachedExchange::closeUpstream() {
  timer_.disable();
  if (!upstream_) return;
  upstream_->setCallbacks(nullptr);
  upstream_->close(net::Connection::CloseType::kNoFlush);
  pool_->onConnectionClosed();
  WorkerStats::dec(ctx_.stats().upstream_cx_active);
  ctx_.dispatcher().deferredDelete(std::move(upstream_));
}

void DetachedExchange::finish(bool complete) {
  if (finished_) return;
  finished_ = true;
  closeUpstream();
  onFinished(complete);
  ctx_.clusterManager().release(this);
}

}  // namespace strait::proxy
