// The sidecar's ADS client (see ads_client.h for the thread contract).
#include "xds/ads_client.h"

#include <grpcpp/grpcpp.h>
#include <openssl/crypto.h>

#include <algorithm>
#include <random>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/synchronization/mutex.h"
#include "xds/validate.h"
#include "absl/time/time.h"
#include "common/log.h"
#include "common/thread_priority.h"
#include "strait/v1/discovery.grpc.pb.h"
#include "xds/subscription.h"

namespace strait::xds {
namespace {

void log(const std::string& line, common::LogLevel level = common::LogLevel::kInfo) {
  common::logAt(level, "strait-sidecar: ads: %s", line);
}
constexpr common::LogLevel kWarning = common::LogLevel::kWarning;

// Outcome of one on_generation call; shared with the `done` callback, which may outlive
// the client (it can run on any thread, at any time).
struct Completion {
  absl::Mutex mu;
  bool done ABSL_GUARDED_BY(mu) = false;       // `done` ran
  bool cancelled ABSL_GUARDED_BY(mu) = false;  // stop() gave up waiting
  absl::Status status ABSL_GUARDED_BY(mu);     // what `done` reported
};

constexpr absl::Duration kMinBackoff = absl::Milliseconds(250);
constexpr absl::Duration kMaxBackoff = absl::Seconds(8);

}  // namespace

struct AdsClient::Impl {
  Impl(AdsClient* owner, Options options, OnGeneration on_generation)
      : owner(owner), options(std::move(options)), on_generation(std::move(on_generation)),
        state(this->options.node) {}

  void run() ABSL_LOCKS_EXCLUDED(mu);
  // A fresh channel with the current credentials (an error: no client certificate yet).
  absl::StatusOr<std::shared_ptr<grpc::Channel>> makeChannel();
  // One connection attempt on a fresh channel; true if a response arrived.
  bool connect();
  // One stream's life; returns true if at least one response arrived.
  bool runStream(strait::v1::AggregatedDiscoveryService::Stub* stub) ABSL_LOCKS_EXCLUDED(mu);
  // Runs on_generation and waits for `done`; false if stopped meanwhile.
  bool apply(const strait::v1::DiscoveryResponse& resp, absl::Status* result) ABSL_LOCKS_EXCLUDED(mu);
  // Builds the ACK/NACK for `resp`; false if stopped while the generation was applied.
  // Takes the generation out of `resp`.
  bool respond(strait::v1::DiscoveryResponse& resp, strait::v1::DiscoveryRequest* req);
  // Sleeps `d` unless stopped first; returns false when stopping.
  bool waitUnlessStopping(absl::Duration d) ABSL_LOCKS_EXCLUDED(mu);

  AdsClient* const owner;
  const Options options;
  const OnGeneration on_generation;
  SubscriptionState state;  // client thread only
  std::thread thread;

  absl::Mutex mu;
  bool stopping ABSL_GUARDED_BY(mu) = false;
  grpc::ClientContext* context ABSL_GUARDED_BY(mu) = nullptr;       // the open stream
  std::shared_ptr<Completion> pending ABSL_GUARDED_BY(mu);          // awaited `done`
  std::string applied_version ABSL_GUARDED_BY(mu);                  // copy for any thread
  // The open stream, for reportDraining's write from another thread; writes are serialized
  // by write_mu (gRPC allows one writer at a time, concurrent with the reader).
  grpc::ClientReaderWriter<strait::v1::DiscoveryRequest, strait::v1::DiscoveryResponse>* stream_ptr
      ABSL_GUARDED_BY(mu) = nullptr;
  absl::Mutex write_mu;
  bool draining ABSL_GUARDED_BY(mu) = false;
  std::function<void()> on_withdrawn ABSL_GUARDED_BY(mu);  // until called

  // A request carrying only `draining` (and the node, for a new stream).
  strait::v1::DiscoveryRequest drainingRequest() const {
    strait::v1::DiscoveryRequest req;
    *req.mutable_node() = options.node;
    req.set_type_url(kGenerationTypeUrl);
    req.set_draining(true);
    return req;
  }
  bool write(const strait::v1::DiscoveryRequest& req) ABSL_LOCKS_EXCLUDED(write_mu);
};

bool AdsClient::Impl::write(const strait::v1::DiscoveryRequest& req) {
  absl::MutexLock lock(&mu);  // stream_ptr; held across the write so the stream stays open
  if (stream_ptr == nullptr) return false;
  absl::MutexLock wlock(&write_mu);
  return stream_ptr->Write(req);
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> AdsClient::Impl::makeChannel() {
  grpc::ChannelArguments args;
  // A generation may be larger than gRPC's default 4 MiB (validate.h kMaxGenerationBytes).
  args.SetMaxReceiveMessageSize(options.max_receive_bytes > 0 ? options.max_receive_bytes : kAdsMessageLimit);
  if (options.plaintext) {
    return grpc::CreateCustomChannel(options.address, grpc::InsecureChannelCredentials(), args);
  }
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = options.tls.ca_pem;
  if (options.tls.client_cert) {
    auto cert = options.tls.client_cert();
    if (!cert.ok()) return cert.status();
    ssl.pem_cert_chain = std::move(cert->cert_chain_pem);
    ssl.pem_private_key = std::move(cert->key_pem);
    OPENSSL_cleanse(cert->key_pem.data(), cert->key_pem.size());
  }
  if (!options.tls.server_name.empty()) args.SetSslTargetNameOverride(options.tls.server_name);
  auto creds = grpc::SslCredentials(ssl);
  OPENSSL_cleanse(ssl.pem_private_key.data(), ssl.pem_private_key.size());
  return grpc::CreateCustomChannel(options.address, creds, args);
}

bool AdsClient::Impl::connect() {
  auto channel = makeChannel();
  if (!channel.ok()) {
    log(absl::StrCat("not connecting: ", channel.status().message()), kWarning);
    return false;
  }
  auto stub = strait::v1::AggregatedDiscoveryService::NewStub(*channel);
  return runStream(stub.get());
}

void AdsClient::Impl::run() {
  std::mt19937 rng(std::random_device{}());
  std::uniform_real_distribution<double> jitter(0.75, 1.25);
  absl::Duration backoff = kMinBackoff;
  while (true) {
    if (connect()) backoff = kMinBackoff;
    absl::Duration wait = backoff * jitter(rng);
    {
      absl::MutexLock lock(&mu);
      if (stopping) return;
    }
    log(absl::StrCat("retrying in ", absl::FormatDuration(absl::Trunc(wait, absl::Milliseconds(1)))));
    if (!waitUnlessStopping(wait)) return;
    backoff = std::min(backoff * 2, kMaxBackoff);
    owner->reconnects_++;
  }
}

bool AdsClient::Impl::waitUnlessStopping(absl::Duration d) {
  absl::MutexLock lock(&mu);
  mu.AwaitWithTimeout(absl::Condition(&stopping), d);
  return !stopping;
}

bool AdsClient::Impl::apply(const strait::v1::DiscoveryResponse& resp, absl::Status* result) {
  auto completion = std::make_shared<Completion>();
  {
    absl::MutexLock lock(&mu);
    if (stopping) return false;
    pending = completion;
  }
  on_generation(resp.version_info(), state.pendingGeneration(), [completion](absl::Status st) {
    absl::MutexLock lock(&completion->mu);
    completion->status = std::move(st);
    completion->done = true;
  });
  absl::MutexLock lock(&completion->mu);
  completion->mu.Await(absl::Condition(
      +[](Completion* c) ABSL_EXCLUSIVE_LOCKS_REQUIRED(c->mu) { return c->done || c->cancelled; },
      completion.get()));
  if (!completion->done) return false;
  *result = completion->status;
  return true;
}

bool AdsClient::Impl::respond(strait::v1::DiscoveryResponse& resp,
                              strait::v1::DiscoveryRequest* req) {
  switch (state.onResponse(&resp)) {
    case SubscriptionState::Action::kApply: {
      absl::Status result;
      if (!apply(resp, &result)) return false;
      *req = result.ok() ? state.onApplied() : state.onRejected(result);
      return true;
    }
    case SubscriptionState::Action::kAckUnchanged:
      if (options.on_relabel && resp.version_info() != state.appliedVersion()) options.on_relabel(resp.version_info());
      *req = state.onApplied();
      return true;
    case SubscriptionState::Action::kReject:
      *req = state.onRejected(state.rejection());
      return true;
  }
  return false;
}

bool AdsClient::Impl::runStream(strait::v1::AggregatedDiscoveryService::Stub* stub) {
  grpc::ClientContext ctx;
  {
    absl::MutexLock lock(&mu);
    if (stopping) return false;
    context = &ctx;
  }
  auto stream = stub->StreamAggregatedResources(&ctx);
  bool got_response = false;
  bool draining_now = false;
  {
    absl::MutexLock lock(&mu);
    stream_ptr = stream.get();
    draining_now = draining;
  }
  if (write(state.initialRequest()) && (!draining_now || write(drainingRequest()))) {
    strait::v1::DiscoveryResponse resp;
    while (stream->Read(&resp)) {
      if (!got_response) {
        got_response = true;
        owner->connected_ = true;
        log("connected to " + options.address);
      }
      if (resp.endpoint_withdrawn()) {  // the answer to reportDraining: no generation, no ACK
        std::function<void()> done;
        {
          absl::MutexLock lock(&mu);
          done.swap(on_withdrawn);
        }
        log("the control plane withdrew this workload's endpoint");
        if (done) done();
        continue;
      }
      common::logDebug("strait-sidecar: ads: received version %s (nonce %s)%s", resp.version_info(), resp.nonce(),
                       resp.has_delta() ? " as a delta" : "");
      strait::v1::DiscoveryRequest req;
      bool was_delta = resp.has_delta();
      if (!respond(resp, &req)) break;  // stopping
      if (req.has_error_detail()) {
        owner->nacks_++;
        log(absl::StrCat("NACK version ", resp.version_info(), ": ",
                         absl::StrReplaceAll(req.error_detail().message(), {{"\n", "; "}})),
            kWarning);
      } else {
        owner->acks_++;
        if (was_delta) owner->deltas_applied_++;
        absl::MutexLock lock(&mu);
        applied_version = state.appliedVersion();
        log("ACK version " + applied_version);
      }
      if (!write(req)) break;
    }
  }
  std::function<void()> withdrawn;
  {
    absl::MutexLock lock(&mu);
    stream_ptr = nullptr;
    // Draining, and the control plane is gone: no one will answer, so no one to wait for.
    if (draining) withdrawn.swap(on_withdrawn);
  }
  if (withdrawn) withdrawn();
  ctx.TryCancel();  // no-op if the stream already ended; unblocks Finish otherwise
  grpc::Status status = stream->Finish();
  if (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
    // Not a network problem: this response will not fit however often we reconnect. Say so
    // here, and to the control plane in the next stream's first request (it shows as a NACK).
    std::string why = absl::StrCat("a response from the control plane could not be received: ",
                                   status.error_message());
    log(why, common::LogLevel::kError);
    state.onReceiveFailed(absl::ResourceExhaustedError(why));
  }
  if (owner->connected_.exchange(false)) {
    log(absl::StrCat("disconnected from ", options.address, ": ", status.error_message()), kWarning);
  } else {
    log(absl::StrCat("cannot reach ", options.address, ": ", status.error_message()), kWarning);
  }
  absl::MutexLock lock(&mu);
  context = nullptr;
  pending.reset();
  return got_response;
}

AdsClient::AdsClient(Options options, OnGeneration on_generation)
    : impl_(std::make_unique<Impl>(this, std::move(options), std::move(on_generation))) {}

AdsClient::~AdsClient() { stop(); }

void AdsClient::start() {
  impl_->thread = std::thread([this] {
    if (impl_->options.nice != 0) {
      if (absl::Status st = common::lowerThreadPriority(impl_->options.nice); !st.ok()) {
        log(absl::StrCat("cannot lower the config thread's priority: ", st.message()), kWarning);
      }
    }
    impl_->run();
  });
}

void AdsClient::stop() {
  {
    absl::MutexLock lock(&impl_->mu);
    impl_->stopping = true;
    if (impl_->context != nullptr) impl_->context->TryCancel();
    if (impl_->pending != nullptr) {
      absl::MutexLock plock(&impl_->pending->mu);
      impl_->pending->cancelled = true;
    }
  }
  if (impl_->thread.joinable()) impl_->thread.join();
}

void AdsClient::reportDraining(std::function<void()> on_withdrawn) {
  bool sent = false;
  {
    absl::MutexLock lock(&impl_->mu);
    impl_->draining = true;
    impl_->on_withdrawn = std::move(on_withdrawn);
  }
  if (connected_.load()) sent = impl_->write(impl_->drainingRequest());
  log(sent ? "reported draining to the control plane" : "draining: no control-plane stream to report it on");
  if (sent) return;
  std::function<void()> done;
  {
    absl::MutexLock lock(&impl_->mu);
    done.swap(impl_->on_withdrawn);
  }
  if (done) done();
}

std::string AdsClient::appliedVersion() const {
  absl::MutexLock lock(&impl_->mu);
  return impl_->applied_version;
}

}  // namespace strait::xds
