// The active health checks of one endpoint of one cluster: a check (TCP connect, or an
// HTTP/1.1 GET on a new connection, over the cluster's TLS if any), then a pause of
// interval + jitter, then the next. Consecutive results move the endpoint's
// HostState::health_check_failed across the unhealthy/healthy thresholds.
//
// THREADS: the health-check dispatcher only (see HealthChecker). OWNERSHIP: owned by the
// HealthChecker; owns its connection (at most one, closed after every check) and timers.
// A check's connection never carries proxied requests and never comes from a worker's pool.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "sidecar/event/dispatcher.h"
#include "sidecar/http/h1_codec.h"
#include "sidecar/net/address.h"
#include "sidecar/net/connection.h"
#include "sidecar/upstream/health_check_config.h"
#include "sidecar/upstream/host_state.h"
#include "sidecar/tls/client_context.h"

namespace strait::proxy {

// Process-wide health-check counters (written by the health-check thread, read by admin).
struct HealthCheckStats {
  std::atomic<uint64_t> attempts{0};          // checks started
  std::atomic<uint64_t> successes{0};         // checks passed
  std::atomic<uint64_t> failures{0};          // checks failed (including timeouts)
  std::atomic<uint64_t> became_unhealthy{0};  // endpoints taken out of the rotation
  std::atomic<uint64_t> became_healthy{0};    // endpoints brought back
};

// What is checked: one endpoint (all entries of one address in the cluster share a session).
struct HealthCheckTarget {
  std::string cluster;                             // for logs
  std::string endpoint;                            // "ip:port", for logs
  net::Address address;
  std::shared_ptr<const tls::ClientContext> tls;   // the cluster's TLS; nullptr: plaintext
  std::vector<HostStatePtr> states;                // written on every verdict (never empty)
};

class HealthCheckSession final : public net::ConnectionCallbacks, public http::CodecCallbacks {
 public:
  HealthCheckSession(event::Dispatcher& dispatcher, HealthCheckConfig config, HealthCheckTarget target,
                     HealthCheckStats& stats);
  ~HealthCheckSession() override;
  HealthCheckSession(const HealthCheckSession&) = delete;
  HealthCheckSession& operator=(const HealthCheckSession&) = delete;

  // Runs the first check now.
  void start();
  // A new generation keeps this endpoint with the same settings: take its TLS context and
  // state pointers (the next check uses them); schedule and counters go on.
  void update(HealthCheckTarget target);
  const HealthCheckConfig& config() const { return config_; }
  const HealthCheckTarget& target() const { return target_; }

  // net::ConnectionCallbacks
  void onRead(net::Buffer& in) override;
  void onEvent(net::ConnectionEvent event) override;
  // http::CodecCallbacks
  void onResponseHead(http::StreamId id, http::ResponseHead&& head, http::BodyFraming framing,
                      uint64_t length) override;
  void onBody(http::StreamId, const char*, size_t) override {}
  void onMessageComplete(http::StreamId) override {}
  void onError(http::StreamId, const http::ParseError& error) override;

 private:
  void runCheck();
  void finish(bool passed, std::string reason);
  void closeConnection();
  void setFailed(bool failed, const std::string& reason);
  int64_t nextDelayMs();

  event::Dispatcher& dispatcher_;
  const HealthCheckConfig config_;
  HealthCheckTarget target_;
  HealthCheckStats& stats_;
  std::unique_ptr<net::Connection> conn_;   // the check in progress, if any
  std::optional<http::H1Parser> parser_;    // HTTP: fresh for every check
  event::Timer interval_timer_;             // next check
  event::Timer timeout_timer_;              // the running check's deadline
  uint32_t successes_ = 0;                  // consecutive passed checks
  uint32_t failures_ = 0;                   // consecutive failed checks
  bool checking_ = false;                   // a check is running
  std::minstd_rand rng_;                    // jitter
};

}  // namespace strait::proxy
