// Mesh identity client (see identity_client.h for the thread contract and schedule).
#include "sidecar/identity/identity_client.h"

#include <grpcpp/grpcpp.h>
#include <openssl/crypto.h>

#include <algorithm>
#include <random>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "control/ca/pki.h"
#include "sidecar/identity/mesh_cert_parse.h"
#include "strait/v1/ca.grpc.pb.h"

namespace strait::identity {
namespace {

constexpr absl::Duration kMinBackoff = absl::Milliseconds(100);
constexpr absl::Duration kNoCertBackoffCap = absl::Seconds(5);
constexpr auto kCallTimeout = std::chrono::seconds(10);

void log(const std::string& line) { common::logInfo("strait-sidecar: identity: %s", line); }

// Seconds left on `cert` (0 if none).
absl::Duration remainingLifetime(const std::shared_ptr<const tls::MeshCertificate>& cert) {
  if (cert == nullptr) return absl::ZeroDuration();
  return std::max(absl::ZeroDuration(), absl::FromUnixSeconds(cert->not_after_unix) - absl::Now());
}

// TLS (or plaintext) channel credentials; `client` non-null adds it as the client cert.
std::shared_ptr<grpc::ChannelCredentials> credentials(const IdentityClient::Options& o,
                                                      const tls::MeshCertificate* client) {
  if (o.plaintext) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = o.ca_pem;
  if (client != nullptr) {
    auto key_pem = ca::keyToPem(client->key.get());
    if (key_pem.ok()) {
      ssl.pem_private_key = std::move(*key_pem);
      ssl.pem_cert_chain = client->cert_chain_pem;
    }
  }
  auto creds = grpc::SslCredentials(ssl);
  OPENSSL_cleanse(ssl.pem_private_key.data(), ssl.pem_private_key.size());
  return creds;
}

}  // namespace

IdentityClient::IdentityClient(Options options, tls::MeshCertificateStore* store)
    : options_(std::move(options)), store_(store) {}

IdentityClient::~IdentityClient() { stop(); }

void IdentityClient::start() {
  thread_ = std::thread([this] { run(); });
}

void IdentityClient::stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    if (call_ != nullptr) call_->TryCancel();
  }
  if (thread_.joinable()) thread_.join();
}

bool IdentityClient::waitUnlessStopping(absl::Duration d) {
  absl::MutexLock lock(&mu_);
  mu_.AwaitWithTimeout(absl::Condition(&stopping_), d);
  return !stopping_;
}

void IdentityClient::run() {
  std::mt19937 rng(std::random_device{}());
  std::uniform_real_distribution<double> jitter(0.9, 1.1);
  absl::Duration backoff = kMinBackoff;
  absl::Duration wait;
  do {
    absl::Status st = issueOnce();
    absl::Duration remaining = remainingLifetime(store_->current());
    if (st.ok()) {
      backoff = kMinBackoff;
      wait = remaining / 2 * jitter(rng);
    } else {
      absl::Duration cap = remaining > absl::ZeroDuration() ? remaining / 4 : kNoCertBackoffCap;
      wait = std::max(kMinBackoff, std::min(backoff, cap)) * jitter(rng);
      backoff = std::min(backoff * 2, std::max(kMinBackoff, cap));
      log(absl::StrCat("certificate request failed: ", st.message(), "; retrying in ",
                       absl::FormatDuration(absl::Trunc(wait, absl::Milliseconds(1)))));
    }
  } while (waitUnlessStopping(wait));
}

absl::Status IdentityClient::issueOnce() {
  auto key = ca::generateP256Key();
  if (!key.ok()) return key.status();
  auto csr = ca::buildCsrPem(key->get(), options_.node_id);
  if (!csr.ok()) return csr.status();
  std::shared_ptr<const tls::MeshCertificate> current = store_->current();
  bool by_cert = !options_.plaintext && !use_token_next_ && current != nullptr &&
                 remainingLifetime(current) > absl::Seconds(1);
  grpc::ChannelArguments args;
  if (!options_.server_name.empty()) args.SetSslTargetNameOverride(options_.server_name);
  auto channel = grpc::CreateCustomChannel(
      options_.address, credentials(options_, by_cert ? current.get() : nullptr), args);
  auto stub = strait::v1::CertificateService::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + kCallTimeout);
  if (!by_cert) ctx.AddMetadata("authorization", "Bearer " + options_.token);
  strait::v1::IssueCertificateRequest req;
  req.set_csr_pem(*csr);
  req.set_requested_ttl_seconds(options_.ttl_seconds);
  strait::v1::IssueCertificateResponse resp;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return absl::CancelledError("stopping");
    call_ = &ctx;
  }
  grpc::Status status = stub->IssueCertificate(&ctx, req, &resp);
  {
    absl::MutexLock lock(&mu_);
    call_ = nullptr;
  }
  if (!status.ok()) {
    // A refused renewal (e.g. the CA was replaced) falls back to the token next time.
    use_token_next_ = by_cert && status.error_code() == grpc::StatusCode::UNAUTHENTICATED;
    return absl::UnavailableError(absl::StrCat(by_cert ? "renewal" : "token request", ": ",
                                               status.error_message()));
  }
  auto cert = makeMeshCertificate(resp.certificate_chain(), resp.trust_bundle(),
                                  resp.spiffe_id(), std::move(*key));
  if (!cert.ok()) return cert.status();
  use_token_next_ = false;
  store_->set(*cert);
  log(absl::StrCat("issued ", (*cert)->spiffe_id, " serial ", (*cert)->serial_hex,
                   ", expires in ", (*cert)->not_after_unix - absl::ToUnixSeconds(absl::Now()),
                   "s"));
  return absl::OkStatus();
}

}  // namespace strait::identity
