// The sidecar's end of the aggregated discovery stream (gRPC, synchronous API, own thread).
//
// Threads: start() spawns one thread that owns the channel and the stream. `on_generation`
// runs on that thread; it must eventually call its `done` callback exactly once, from any
// thread, with OK once the generation is live on every worker (ACK) or the reason it was
// rejected (NACK). The client sends nothing else until `done` ran. While the stream is down
// it reconnects with jittered exponential backoff (0.25 s doubling to 8 s, +-25% jitter),
// on a channel created anew for each attempt (TLS: with the then-current client cert);
// the last applied generation stays live meanwhile (the client never "un-applies").
// stop() cancels the stream and joins the thread; safe to call once, from any other thread.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "strait/v1/discovery.pb.h"

namespace strait::xds {

class AdsClient {
 public:
  using Done = std::function<void(absl::Status)>;
  // version, the generation (already type-checked, not yet validated), completion.
  using OnGeneration =
      std::function<void(const std::string& version, const strait::v1::Generation& gen, Done done)>;

  // The client certificate for the TLS channel. SECRET key_pem: held only while the
  // channel credentials are built, then cleansed.
  struct ClientCertPem {
    std::string cert_chain_pem;  // leaf + intermediates
    std::string key_pem;         // private key
  };
  struct TlsOptions {
    std::string ca_pem;       // roots that sign strait-control's certificate (PEM text)
    std::string server_name;  // expected name in its certificate (target name override)
    // Called on the client thread before every connection attempt, so a renewed
    // certificate is used from the next reconnect on (an open stream keeps the one it
    // started with). An error (e.g. no certificate yet) skips the attempt and backs off.
    std::function<absl::StatusOr<ClientCertPem>()> client_cert;
  };

  struct Options {
    std::string address;           // host:port of strait-control
    bool plaintext = true;         // insecure channel; otherwise TLS per `tls`
    TlsOptions tls;                // used when !plaintext
    strait::v1::Node node;
    // The largest response accepted (0: xds::kAdsMessageLimit, what the control plane may send).
    int max_receive_bytes = 0;
    // Called (on the client thread) when a response is ACKed without a rebuild as the same
    // content under another version (a restarted control plane, another replica, a delta
    // that changes nothing of this sidecar's): the live generation now answers to `version`.
    std::function<void(const std::string& version)> on_relabel;
    // Added to the client thread's nice value (setpriority), where on_generation runs. The
    // sidecar gives its config work (decode, validate, build) a lower CPU priority than its
    // workers', so that applying a big generation on a busy machine delays requests less.
    int nice = 0;
  };

  AdsClient(Options options, OnGeneration on_generation);
  ~AdsClient();  // calls stop()

  void start();
  void stop();
  // Any thread: tells the control plane this sidecar is draining (its workload leaves every
  // service's endpoints; sent again on a reconnect). `on_withdrawn` runs once, on the client
  // thread, when the control plane answers that the others no longer send to it; at once
  // (on the calling thread) if no stream is up: there is no one to wait for.
  void reportDraining(std::function<void()> on_withdrawn);

  // Observability (any thread).
  bool connected() const { return connected_.load(); }
  std::string appliedVersion() const;
  uint64_t acks() const { return acks_.load(); }
  uint64_t nacks() const { return nacks_.load(); }
  uint64_t reconnects() const { return reconnects_.load(); }
  uint64_t deltasApplied() const { return deltas_applied_.load(); }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  // Observability only, read from any thread: atomics rather than Impl::mu, since no reader
  // needs them consistent with each other or with the stream's state.
  std::atomic<bool> connected_{false};
  std::atomic<uint64_t> acks_{0};
  std::atomic<uint64_t> nacks_{0};
  std::atomic<uint64_t> reconnects_{0};
  std::atomic<uint64_t> deltas_applied_{0};
};

}  // namespace strait::xds
