// One ADS stream (see ads_stream.h).
#include "control/ads_stream.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "control/log_line.h"
#include "xds/subscription.h"

namespace strait::control {
namespace {

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

bool acceptsDeltas(const strait::v1::Node& node) {
  for (const auto& f : node.client_features()) {
    if (f == xds::kFeatureGenerationDelta) return true;
  }
  return false;
}

}  // namespace

AdsStream::AdsStream(AdsHub* hub, grpc::CallbackServerContext* context, std::optional<ca::SpiffeId> peer)
    : hub_(hub), context_(context), peer_(std::move(peer)), identity_(peer_ ? peer_->toUri() : "(plaintext)") {
  {
    absl::MutexLock lock(&hub_->mu);
    hub_->streams.insert(this);
  }
  StartRead(&read_buf_);
}

AdsStream::AdsStream(grpc::CallbackServerContext* context, const grpc::Status& status)
    : hub_(nullptr), context_(context) {
  absl::MutexLock lock(&mu_);
  finish(status);
}

void AdsStream::finish(const grpc::Status& status) {
  if (finished_) return;
  finished_ = true;
  if (write_in_flight_) {
    finish_after_write_ = status;
  } else {
    Finish(status);
  }
}

void AdsStream::startWrite(grpc::ByteBuffer buffer) {
  write_buf_ = std::move(buffer);
  write_in_flight_ = true;
  StartWrite(&write_buf_);
}

void AdsStream::OnReadDone(bool ok) {
  After after = After::kNothing;
  strait::v1::Node node;
  uint64_t token = 0;
  std::string adopt;
  {
    absl::MutexLock lock(&mu_);
    if (finished_) return;  // a read that completed after Finish: nothing more to do
    if (!ok) {  // the sidecar closed its side, or the call ended
      read_done_ = true;
      finish(grpc::Status::OK);
      return;
    }
    strait::v1::DiscoveryRequest req;
    if (!decodeRequest(&read_buf_, &req)) {
      logLine("strait-control: closing ADS stream from ", context_->peer(), ": a request that is not a DiscoveryRequest");
      finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "malformed DiscoveryRequest"));
      return;
    }
    bool connecting = token_ == 0;
    after = handle(req);
    if (finished_) return;  // refused
    node = node_;
    token = token_;
    if (connecting && token_ != 0) adopt = req.version_info();
  }
  // Before anything else of this sidecar: the version it serves may be the current content's
  // (a restart without the state file, another replica); then it keeps its label.
  if (!adopt.empty()) hub_->mesh->adoptVersion(adopt);
  if (after == After::kWorkloadUp) {
    hub_->mesh->workloadUp(node, token);
  } else if (after == After::kDraining) {
    hub_->mesh->workloadDraining(node.id(), token);
    {
      absl::MutexLock lock(&mu_);
      withdraw_deadline_ = absl::Now() + hub_->withdraw_timeout;
    }
    absl::MutexLock lock(&hub_->mu);
    hub_->withdrawing.insert(this);
  }
  pump();
  absl::MutexLock lock(&mu_);
  if (!finished_) StartRead(&read_buf_);  // never an operation after Finish
}

AdsStream::After AdsStream::handle(const strait::v1::DiscoveryRequest& req) {
  if (token_ != 0 && req.draining()) {
    if (withdrawing_) return After::kNothing;
    withdrawing_ = true;
    return After::kDraining;  // this sidecar gets the version without it too (pump)
  }
  if (token_ == 0) {
    if (req.node().id().empty()) return After::kNothing;  // nothing to serve until we know who
    if (std::string why = nodeMismatch(req.node(), peer_); !why.empty()) {
      logLine("strait-control: refused ADS stream of node ", req.node().id(), " from ", context_->peer(), ": ", why);
      hub_->registry->refused(req.node(), context_->peer(), peer_ ? identity_ : "", why);
      finish(grpc::Status(grpc::StatusCode::PERMISSION_DENIED, why));
      return After::kNothing;
    }
    node_ = req.node();
    deltas_ = acceptsDeltas(node_);
    token_ = hub_->registry->connected(node_, context_->peer(), peer_ ? identity_ : "");
    if (hub_->metrics != nullptr) hub_->metrics->sidecarConnected(token_);
    if (req.has_error_detail()) {  // the last stream's response could not be received
      std::shared_ptr<const ServedSnapshot> snap = hub_->mesh->current();
      std::string version = snap != nullptr ? snap->version : "";
      logLine("strait-control: sidecar ", node_.id(), " reports for version ", version, ": ",
              req.error_detail().message());
      hub_->registry->nacked(node_.id(), token_, version, req.error_detail().message());
      if (hub_->metrics != nullptr) hub_->metrics->sidecarNacked(req.error_detail().message());
    }
    logLine("strait-control: sidecar ", node_.id(), " (service ", node_.service(), ") connected from ",
            context_->peer(), " as ", identity_, req.version_info().empty() ? "" : " serving version ",
            req.version_info());
    // A sidecar that already serves a generation (it reconnected, or this control plane
    // restarted) is an endpoint at once, as it is for the others' generations meanwhile.
    if (!req.version_info().empty() && !node_.workload().address().empty()) {
      workload_up_ = true;
      return After::kWorkloadUp;
    }
    return After::kNothing;
  }
  After after = After::kNothing;
  handleReply(req, &after);
  return after;
}

void AdsStream::handleReply(const strait::v1::DiscoveryRequest& req, After* after) {
  if (!awaiting_reply_ || req.response_nonce() != sent_nonce_) return;  // stale
  awaiting_reply_ = false;
  if (req.has_error_detail()) {
    logLine("strait-control: NACK from ", node_.id(), " for version ", sent_version_, sent_delta_ ? " (delta)" : "",
            ": ", absl::StrReplaceAll(req.error_detail().message(), {{"\n", "; "}}));
    hub_->registry->nacked(node_.id(), token_, sent_version_, req.error_detail().message());
    if (hub_->metrics != nullptr) hub_->metrics->sidecarNacked(req.error_detail().message());
    if (sent_delta_) {  // e.g. not at the delta's base: the whole generation next
      sent_version_.clear();
      acked_ = nullptr;
    }
    return;
  }
  hub_->registry->acked(node_.id(), token_, req.version_info());
  if (hub_->metrics != nullptr) hub_->metrics->sidecarAcked(token_, req.version_info());
  acked_ = sent_;
  // A workload becomes an endpoint once its sidecar serves: the first ACK means a generation
  // (its inbound listeners included) is live on every worker. Before that, a caller sent to
  // it would find nothing listening.
  if (!workload_up_ && !req.version_info().empty()) {
    workload_up_ = true;
    *after = After::kWorkloadUp;
  }
}

void AdsStream::pump() {
  absl::MutexLock lock(&mu_);
  if (finished_ || write_in_flight_) return;
  if (withdrawn_due_) {  // the answer to `draining`: no generation, no ACK
    withdrawn_due_ = false;
    startWrite(encodeWithdrawn());
    logLine("strait-control: told ", node_.id(), " its endpoint is withdrawn (version ", withdraw_version_, ")");
    return;
  }
  if (token_ == 0 || awaiting_reply_) return;
  std::shared_ptr<const ServedSnapshot> snap = hub_->mesh->current();
  if (snap == nullptr || snap->version == sent_version_) return;
  std::optional<grpc::Slice> body;
  if (deltas_ && acked_ != nullptr) body = hub_->cache.delta(*acked_, snap, node_.service());
  sent_delta_ = body.has_value();
  if (!body) body = hub_->cache.full(snap, node_.service());
  sent_nonce_ = absl::StrCat(hub_->next_nonce++);
  sent_version_ = snap->version;
  sent_ = std::move(snap);
  grpc::ByteBuffer response = encodeResponse(sent_version_, sent_nonce_, *body);
  if (response.Length() > hub_->max_response_bytes) {
    // Sending it would only end the stream (the sidecar refuses it) and start a reconnect
    // loop: record why, as a NACK would, and wait for the next version.
    std::string why = absl::StrCat("generation for service '", node_.service(), "' is ", response.Length(),
                                   " bytes serialised, over the delivery limit of ", hub_->max_response_bytes);
    logLine("strait-control: not sending version ", sent_version_, " to ", node_.id(), ": ", why);
    hub_->registry->nacked(node_.id(), token_, sent_version_, why);
    if (hub_->metrics != nullptr) hub_->metrics->sidecarNacked(why);
    return;
  }
  awaiting_reply_ = true;
  startWrite(std::move(response));
  hub_->registry->sent(node_.id(), token_, sent_version_);
  if (hub_->metrics != nullptr) hub_->metrics->responseSent(sent_delta_, write_buf_.Length());
}

void AdsStream::OnWriteDone(bool ok) {
  {
    absl::MutexLock lock(&mu_);
    write_in_flight_ = false;
    write_buf_.Clear();
    if (finish_after_write_) {
      Finish(*finish_after_write_);
      finish_after_write_.reset();
      return;
    }
    if (!ok) {
      finish(grpc::Status::OK);  // the call is gone; nothing more to write
      return;
    }
  }
  pump();
}

bool AdsStream::withdrawalDue(absl::Time now) {
  absl::MutexLock lock(&mu_);
  // The version without this workload, once published (debounced, mesh_state.h).
  if (withdraw_version_.empty()) withdraw_version_ = hub_->mesh->withdrawnIn(node_.id(), token_);
  bool applied = !withdraw_version_.empty() && hub_->registry->othersApplied(node_.id(), withdraw_version_);
  if (!applied && now < withdraw_deadline_) return false;
  withdrawn_due_ = true;
  return true;
}

void AdsStream::OnDone() {
  if (hub_ != nullptr) {
    {
      absl::MutexLock lock(&hub_->mu);
      hub_->streams.erase(this);
      hub_->withdrawing.erase(this);
    }
    absl::MutexLock lock(&mu_);
    if (token_ != 0) {
      hub_->mesh->workloadDown(node_.id(), token_);
      hub_->registry->disconnected(node_.id(), token_);
      if (hub_->metrics != nullptr) hub_->metrics->sidecarDisconnected(token_);
      logLine("strait-control: sidecar ", node_.id(), " disconnected");
    }
  }
  delete this;
}

}  // namespace strait::control
