// ADS stream handling (see ads_service.h).
#include "control/ads_service.h"

#include <deque>
#include <optional>
#include <iostream>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "control/log_line.h"
#include "control/peer_auth.h"
#include "xds/node_filter.h"
#include "xds/subscription.h"

namespace strait::control {
namespace {

using strait::v1::DiscoveryRequest;
using strait::v1::DiscoveryResponse;
using Stream = grpc::ServerReaderWriter<DiscoveryResponse, DiscoveryRequest>;

// What wakes the writer: requests read by the reader thread, or a new config version.
struct Events {
  absl::Mutex mu;
  std::deque<DiscoveryRequest> requests ABSL_GUARDED_BY(mu);
  bool reader_done ABSL_GUARDED_BY(mu) = false;     // the stream's read side ended
  bool config_changed ABSL_GUARDED_BY(mu) = false;  // ConfigSource published a version

  bool ready() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    return !requests.empty() || reader_done || config_changed;
  }
};

// Per-stream writer-side state.
struct StreamState {
  strait::v1::Node node;       // from the first request
  uint64_t token = 0;          // SidecarRegistry token
  std::string sent_version;    // version of the last response
  std::string sent_nonce;      // nonce of the last response ("" before the first)
  // The sidecar reported draining: the version without its endpoint, and until when to wait
  // for the other sidecars to ACK it.
  bool workload_up = false;  // told MeshState (after the first ACK)
  bool withdrawing = false;
  std::string withdraw_version;
  absl::Time withdraw_deadline;
};

void readLoop(Stream* stream, Events* events) {
  DiscoveryRequest req;
  while (stream->Read(&req)) {
    absl::MutexLock lock(&events->mu);
    events->requests.push_back(std::move(req));
  }
  absl::MutexLock lock(&events->mu);
  events->reader_done = true;
}

// Waits for the next batch of events (or `deadline`); false once the read side ended.
bool nextEvents(Events* events, std::deque<DiscoveryRequest>* requests, bool* changed,
                absl::Time deadline = absl::InfiniteFuture()) {
  absl::MutexLock lock(&events->mu);
  events->mu.AwaitWithDeadline(absl::Condition(events, &Events::ready), deadline);
  requests->swap(events->requests);
  *changed = events->config_changed;
  events->config_changed = false;
  return !events->reader_done || !requests->empty();
}

bool sendCurrent(const MeshState& source, SidecarRegistry* registry, uint64_t nonce,
                 Stream* stream, StreamState* st) {
  auto snap = source.current();
  if (snap == nullptr || snap->version == st->sent_version) return true;
  DiscoveryResponse resp;
  resp.set_version_info(snap->version);
  resp.set_type_url(xds::kGenerationTypeUrl);
  resp.set_nonce(absl::StrCat(nonce));
  *resp.mutable_generation() = xds::selectForService(snap->generation, st->node.service());
  if (!stream->Write(resp)) return false;
  st->sent_version = snap->version;
  st->sent_nonce = resp.nonce();
  registry->sent(st->node.id(), st->token, snap->version);
  return true;
}

void handleRequest(const DiscoveryRequest& req, SidecarRegistry* registry, ControlMetrics* metrics, StreamState* st) {
  if (req.response_nonce() != st->sent_nonce) return;  // stale (or a repeated first request)
  if (req.has_error_detail()) {
    logLine("strait-control: NACK from ", st->node.id(), " for version ", st->sent_version, ": ",
            absl::StrReplaceAll(req.error_detail().message(), {{"\n", "; "}}));
    registry->nacked(st->node.id(), st->token, st->sent_version, req.error_detail().message());
    if (metrics != nullptr) metrics->sidecarNacked(req.error_detail().message());
  } else {
    registry->acked(st->node.id(), st->token, req.version_info());
    if (metrics != nullptr) metrics->sidecarAcked(st->token, req.version_info());
  }
}

// A stream may only ask for the generation of the workload its client certificate names: the
// node's service must be the certificate's service account and its namespace (when given) the
// certificate's namespace; otherwise any mesh workload could read another service's
// generation, private keys of its secrets included. "" when it matches (or the control plane
// runs without client certificates, where nothing can be checked).
std::string nodeMismatch(const strait::v1::Node& node, const std::optional<ca::SpiffeId>& peer) {
  if (!peer) return "";
  if (node.service() != peer->service_account) {
    return absl::StrCat("node service '", node.service(), "' is not the client certificate's identity ",
                        peer->toUri());
  }
  if (!node.namespace_().empty() && node.namespace_() != peer->ns) {
    return absl::StrCat("node namespace '", node.namespace_(), "' is not the client certificate's identity ",
                        peer->toUri());
  }
  return "";
}

}  // namespace

grpc::Status AdsService::StreamAggregatedResources(grpc::ServerContext* context,
                                                   Stream* stream) {
  std::string identity = "(plaintext)";
  std::optional<ca::SpiffeId> peer_id;
  if (require_client_cert_ != nullptr) {
    auto peer = peerSpiffeId(*context, *require_client_cert_);
    if (!peer.ok()) {
      logLine("strait-control: refused ADS stream from ", context->peer(), ": ", peer.status().message());
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                          absl::StrCat("ADS requires a mesh client certificate: ",
                                       peer.status().message()));
    }
    identity = peer->toUri();
    peer_id = *peer;
  }
  auto events = std::make_shared<Events>();
  std::thread reader([stream, events] { readLoop(stream, events.get()); });
  int listener = source_->addListener([events] {
    absl::MutexLock lock(&events->mu);
    events->config_changed = true;
  });
  StreamState st;
  grpc::Status refusal = grpc::Status::OK;
  std::deque<DiscoveryRequest> requests;
  bool changed = false;
  bool ok = true;
  // While a drain waits for the others' ACKs, the loop also wakes every 50 ms to look.
  auto wake = [&st] { return st.withdrawing ? absl::Now() + absl::Milliseconds(50) : absl::InfiniteFuture(); };
  while (ok && nextEvents(events.get(), &requests, &changed, wake())) {
    for (const DiscoveryRequest& req : requests) {
      if (st.token != 0 && req.draining()) {
        if (!st.withdrawing) {
          st.withdrawing = true;
          st.withdraw_version = source_->workloadDraining(st.node.id(), st.token);
          st.withdraw_deadline = absl::Now() + withdraw_timeout_;
          changed = true;  // this sidecar gets the new version too
        }
        continue;
      }
      if (st.token == 0 && !req.node().id().empty()) {
        if (std::string why = nodeMismatch(req.node(), peer_id); !why.empty()) {
          logLine("strait-control: refused ADS stream of node ", req.node().id(), " from ", context->peer(), ": ",
                  why);
          registry_->refused(req.node(), context->peer(), peer_id ? identity : "", why);
          ok = false;
          refusal = grpc::Status(grpc::StatusCode::PERMISSION_DENIED, why);
          break;
        }
        st.node = req.node();
        st.token = registry_->connected(st.node, context->peer(), peer_id ? identity : "");
        if (metrics_ != nullptr) metrics_->sidecarConnected(st.token);
        logLine("strait-control: sidecar ", st.node.id(), " (service ", st.node.service(), ") connected from ",
                context->peer(), " as ", identity);
        changed = true;
      } else if (st.token != 0) {
        handleRequest(req, registry_, metrics_, &st);
        // A workload becomes an endpoint once its sidecar serves: the first ACK means a
        // generation (its inbound listeners included) is live on every worker. Before
        // that, a caller sent to it would find nothing listening.
        if (!st.workload_up && !req.has_error_detail() && !req.version_info().empty() &&
            req.response_nonce() == st.sent_nonce) {
          st.workload_up = true;
          source_->workloadUp(st.node, st.token);
        }
      }
    }
    requests.clear();
    if (changed && st.token != 0) ok = sendCurrent(*source_, registry_, next_nonce_++, stream, &st);
    if (ok && st.withdrawing &&
        (registry_->othersApplied(st.node.id(), st.withdraw_version) || absl::Now() >= st.withdraw_deadline)) {
      st.withdrawing = false;
      DiscoveryResponse withdrawn;
      withdrawn.set_type_url(xds::kGenerationTypeUrl);
      withdrawn.set_endpoint_withdrawn(true);
      ok = stream->Write(withdrawn);
      logLine("strait-control: told ", st.node.id(), " its endpoint is withdrawn (version ", st.withdraw_version,
              ")");
    }
  }
  source_->removeListener(listener);
  context->TryCancel();  // unblocks the reader if we stopped writing first
  reader.join();
  if (st.token != 0) {
    source_->workloadDown(st.node.id(), st.token);
    registry_->disconnected(st.node.id(), st.token);
    if (metrics_ != nullptr) metrics_->sidecarDisconnected(st.token);
    logLine("strait-control: sidecar ", st.node.id(), " disconnected");
  }
  return refusal;
}

}  // namespace strait::control
