#include "sidecar/upstream/health_check_session.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "common/log.h"

namespace strait::proxy {

HealthCheckSession::HealthCheckSession(event::Dispatcher& dispatcher, HealthCheckConfig config,
                                       HealthCheckTarget target, HealthCheckStats& stats)
    : dispatcher_(dispatcher), config_(std::move(config)), target_(std::move(target)), stats_(stats),
      interval_timer_(dispatcher, [this] { runCheck(); }),
      timeout_timer_(dispatcher, [this] { finish(false, "timeout"); }),
      rng_(std::random_device{}()) {}

HealthCheckSession::~HealthCheckSession() { closeConnection(); }

void HealthCheckSession::start() { runCheck(); }

void HealthCheckSession::update(HealthCheckTarget target) { target_ = std::move(target); }

void HealthCheckSession::runCheck() {
  checking_ = true;
  stats_.attempts.fetch_add(1, std::memory_order_relaxed);
  timeout_timer_.enableMs(config_.timeout_ms);
  std::unique_ptr<net::TransportSocket> transport;
  if (target_.tls) {
    transport = target_.tls->newTransport();
    if (!transport) return finish(false, "no TLS transport (mesh certificate not issued yet)");
  }
  auto fd = net::connectTcp(target_.address);
  if (!fd.ok()) return finish(false, std::string(fd.status().message()));
  conn_ = std::make_unique<net::Connection>(dispatcher_, *fd, /*connecting=*/true, std::move(transport));
  conn_->setCallbacks(this);
  if (!config_.http) return;
  parser_.emplace(http::H1Parser::Mode::kResponse, this);
  // Written now, sent once connected (and the TLS handshake done).
  conn_->write(absl::StrCat("GET ", config_.path, " HTTP/1.1\r\nhost: ", config_.host,
                            "\r\nuser-agent: strait-health-check\r\nconnection: close\r\n\r\n"));
}

void HealthCheckSession::onEvent(net::ConnectionEvent event) {
  if (!checking_) return;
  if (event == net::ConnectionEvent::kConnected) {
    if (!config_.http) finish(true, "");
    return;
  }
  if (conn_ && conn_->connectFailed()) return finish(false, "connect failed");
  finish(false, "connection closed before a response");
}

void HealthCheckSession::onRead(net::Buffer& in) {
  if (!config_.http) {
    in.clear();
    return;
  }
  while (checking_ && !in.empty()) {
    size_t n = parser_->execute(in.data(), in.size());
    in.drain(n);
    if (n == 0) break;
  }
  if (!checking_) in.clear();
}

void HealthCheckSession::onResponseHead(http::StreamId, http::ResponseHead&& head, http::BodyFraming, uint64_t) {
  if (!checking_ || head.status < 200) return;  // interim responses: wait for the final one
  bool passed = config_.statusPasses(head.status);
  finish(passed, passed ? "" : absl::StrCat("HTTP status ", head.status));
}

void HealthCheckSession::onError(http::StreamId, const http::ParseError& error) {
  finish(false, absl::StrCat("bad HTTP response: ", error.reason));
}

// Called from connection and parser callbacks: the connection is deleted later, the parser
// stays until the next check starts.
void HealthCheckSession::finish(bool passed, std::string reason) {
  if (!checking_) return;
  checking_ = false;
  timeout_timer_.disable();
  closeConnection();
  if (passed) {
    stats_.successes.fetch_add(1, std::memory_order_relaxed);
    failures_ = 0;
    if (successes_ < UINT32_MAX) successes_++;
    if (successes_ >= config_.healthy_threshold) setFailed(false, "");
  } else {
    stats_.failures.fetch_add(1, std::memory_order_relaxed);
    successes_ = 0;
    if (failures_ < UINT32_MAX) failures_++;
    if (failures_ >= config_.unhealthy_threshold) setFailed(true, reason);
  }
  interval_timer_.enableMs(nextDelayMs());
}

void HealthCheckSession::setFailed(bool failed, const std::string& reason) {
  bool changed = false;
  for (const auto& state : target_.states) {
    changed = state->health_check_failed.exchange(failed, std::memory_order_relaxed) != failed || changed;
  }
  if (!changed) return;
  (failed ? stats_.became_unhealthy : stats_.became_healthy).fetch_add(1, std::memory_order_relaxed);
  common::logInfo("strait-sidecar: health check: cluster '%s' endpoint %s is %s%s%s", target_.cluster, target_.endpoint,
                  failed ? "unhealthy" : "healthy again", failed ? ": " : "", reason);
}

void HealthCheckSession::closeConnection() {
  if (!conn_) return;
  conn_->setCallbacks(nullptr);
  conn_->close(net::Connection::CloseType::kNoFlush);
  dispatcher_.deferredDelete(std::move(conn_));
}

int64_t HealthCheckSession::nextDelayMs() {
  if (config_.jitter_ms <= 0) return config_.interval_ms;
  std::uniform_int_distribution<int64_t> jitter(0, config_.jitter_ms);
  return config_.interval_ms + jitter(rng_);
}

}  // namespace strait::proxy
