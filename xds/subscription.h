// Sidecar-side state of the aggregated discovery stream (no I/O; the ADS client drives it).
//
// Life of a response: onResponse() says whether the generation must be built (or is the
// version already applied, e.g. after a reconnect); the caller applies pendingGeneration(),
// then calls onApplied() or onRejected(), which return the DiscoveryRequest to send (ACK or
// NACK). The state keeps the applied generation, so that a GenerationDelta (discovery.proto
// PROTOCOL 7; the node advertises client feature strait.generation_delta) becomes a whole
// generation: a copy of the applied one with the delta's load assignments replaced, added or
// removed, built and ACKed (or NACKed) as one.
// Not thread-safe: owned by the ADS client's thread.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "strait/v1/discovery.pb.h"

namespace strait::xds {

inline constexpr char kGenerationTypeUrl[] = "type.googleapis.com/strait.v1.Generation";
// Node.client_features entry of a sidecar that applies GenerationDelta responses.
inline constexpr char kFeatureGenerationDelta[] = "strait.generation_delta";

class SubscriptionState {
 public:
  explicit SubscriptionState(strait::v1::Node node);

  // The first request of a (re)opened stream: node, type_url, last applied version, no nonce.
  strait::v1::DiscoveryRequest initialRequest() const;

  // What to do with a response.
  enum class Action {
    kApply,        // a new version: build and apply it, then onApplied/onRejected
    kAckUnchanged, // same version as already applied, or the same content under another
                   // version (a restarted or another control plane): ACK without rebuilding
                   // (call onApplied; the ACK names the new version)
    kReject,       // malformed response (wrong type_url, empty version) or a delta whose
                   // base is not the applied version: call onRejected(rejection())
  };
  // Takes the response's generation (or delta) out of `response`.
  Action onResponse(strait::v1::DiscoveryResponse* response);
  // kApply: the whole generation the response stands for (valid until onApplied/onRejected).
  const strait::v1::Generation& pendingGeneration() const { return pending_generation_; }
  // kReject: why.
  const absl::Status& rejection() const { return rejection_; }

  // The stream failed because a response could not be received (over the message limit):
  // the next initialRequest() carries `why` as its error_detail, so the control plane
  // records it like a NACK (until a response arrives).
  void onReceiveFailed(const absl::Status& why);

  // ACK for the response last passed to onResponse; records its version as applied.
  strait::v1::DiscoveryRequest onApplied();
  // NACK for the response last passed to onResponse, carrying `why` (code and message);
  // the applied version stays what it was.
  strait::v1::DiscoveryRequest onRejected(const absl::Status& why);

  const std::string& appliedVersion() const { return applied_version_; }
  // Versions are "<sequence>-<content hash>" (control/config_source.h): two versions with
  // the same hash (64 bits or more) carry the same generation.
  static bool sameContent(const std::string& a, const std::string& b);
  // Counters for /stats.
  uint64_t acks() const { return acks_; }
  uint64_t nacks() const { return nacks_; }

 private:
  strait::v1::Node node_;
  std::string applied_version_;
  strait::v1::Generation applied_generation_;
  strait::v1::Generation pending_generation_;
  bool pending_built_ = false;  // onResponse said kApply: pending_generation_ replaces the applied one
  absl::Status rejection_;
  absl::Status receive_failure_;
  std::string pending_version_;
  std::string pending_nonce_;
  uint64_t acks_ = 0;
  uint64_t nacks_ = 0;
};

}  // namespace strait::xds
