#include "sidecar/proxy/mirror_request.h"

#include <utility>

#include "sidecar/proxy/cluster_manager.h"

namespace strait::proxy {

MirrorRequest::MirrorRequest(WorkerContext& ctx, std::shared_ptr<const ClusterInfo> cluster,
                             http::RequestHead head, uint32_t max_body_bytes, int64_t timeout_ms)
    : ctx_(ctx), cluster_(std::move(cluster)), head_(std::move(head)), max_body_bytes_(max_body_bytes),
      timeout_ms_(timeout_ms), timer_(ctx.dispatcher(), [this] { finish(); }) {}

MirrorRequest::~MirrorRequest() { closeUpstream(); }

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

void MirrorRequest::send(std::unique_ptr<MirrorRequest> mirror) {
  MirrorRequest* raw = mirror.get();
  ClusterManager& cm = raw->ctx_.clusterManager();
  cm.adopt(std::move(mirror));
  if (!raw->start()) raw->finish();
}

bool MirrorRequest::start() {
  LoadBalancer& lb = ctx_.clusterManager().loadBalancer(cluster_);
  int index = lb.pick(LbContext{ctx_.dispatcher().nowMs(), std::nullopt});
  if (index < 0) return false;
  const EndpointInfo& endpoint = cluster_->endpoints[index];
  if (cluster_->state->connections.load(std::memory_order_relaxed) >= cluster_->max_connections) return false;
  pool_ = &ctx_.clusterManager().pool(*cluster_, endpoint);
  bool reused = false;
  upstream_ = pool_->acquire(&reused, /*fresh=*/true);  // its own connection, never pooled
  if (!upstream_) return false;
  upstream_->setCallbacks(this);
  parser_.emplace(http::H1Parser::Mode::kResponse, this);
  parser_->expectHeadResponse(head_.method == "HEAD");
  head_.headers.remove("transfer-encoding");
  head_.headers.set("content-length", std::to_string(body_.size()));
  if (body_.empty() && (head_.method == "GET" || head_.method == "HEAD")) head_.headers.remove("content-length");
  head_.headers.set("connection", "close");
  std::string out;
  http::encodeRequestHead(head_, &out);
  out += body_;
  std::string().swap(body_);
  upstream_->write(out);
  WorkerStats::inc(ctx_.stats().mirror_total);
  timer_.enableMs(timeout_ms_);
  return true;
}

void MirrorRequest::onRead(net::Buffer& in) {
  while (!finished_ && !in.empty()) {
    size_t n = parser_->execute(in.data(), in.size());
    in.drain(n);
    if (n == 0) break;
  }
  if (!finished_ && !in.empty()) in.drain(in.size());  // after the response: ignored
}

void MirrorRequest::onEvent(net::ConnectionEvent event) {
  if (event == net::ConnectionEvent::kConnected) return;
  finish();  // closed or failed: the shadow is done either way
}

void MirrorRequest::closeUpstream() {
  timer_.disable();
  if (!upstream_) return;
  upstream_->setCallbacks(nullptr);
  upstream_->close(net::Connection::CloseType::kNoFlush);
  pool_->onConnectionClosed();
  WorkerStats::dec(ctx_.stats().upstream_cx_active);
  ctx_.dispatcher().deferredDelete(std::move(upstream_));
}

void MirrorRequest::finish() {
  if (finished_) return;
  finished_ = true;
  closeUpstream();
  ctx_.clusterManager().release(this);
}

}  // namespace strait::proxy
