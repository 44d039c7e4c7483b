// Wiring of strait-control (see server.h).
#include "control/server.h"

#include <grpcpp/grpcpp.h>
#include <grpcpp/security/server_credentials.h>
#include <openssl/crypto.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "control/log_line.h"
#include "control/operator_auth.h"
#include "xds/validate.h"

namespace strait::control {
namespace {

// The range was checked by start() (and by strait-control's flag parsing).
std::optional<ServiceVips> vipsOf(const std::string& cidr) {
  if (cidr.empty()) return std::nullopt;
  auto vips = ServiceVips::create(cidr);
  if (!vips.ok()) return std::nullopt;
  return std::move(*vips);
}

// Written then renamed, so a test polling for the file never reads half of it.
void writePortFile(const std::string& path, int port) {
  std::string tmp = path + ".tmp";
  std::ofstream(tmp) << port << "\n";
  std::rename(tmp.c_str(), path.c_str());
}

std::string stateFileOf(const ServerOptions& o) {
  std::string dir = !o.state_dir.empty() ? o.state_dir : !o.ca.ca_dir.empty() ? o.ca.ca_dir : ".";
  return dir + "/served-state";
}

}  // namespace

ControlServer::ControlServer(ServerOptions options)
    : options_(std::move(options)),
      source_(options_.config_dir, &metrics_),
      mesh_(&source_, options_.endpoint_grace, vipsOf(options_.service_cidr), stateFileOf(options_),
            options_.push_debounce),
      management_(&source_, &mesh_, &registry_) {}

ControlServer::~ControlServer() { shutdown(); }

absl::Status ControlServer::startCa() {
  auto ca = ca::CertificateAuthority::create(options_.ca, absl::Now());
  if (!ca.ok()) return absl::Status(ca.status().code(), absl::StrCat("CA: ", ca.status().message()));
  ca_ = std::move(*ca);
  if (!options_.tokens_file.empty()) {
    auto tokens = ca::TokenAuthenticator::loadFile(options_.tokens_file);
    if (!tokens.ok()) return tokens.status();
    tokens_ = std::move(*tokens);
  }
  std::string where = options_.ca.ca_cert_file.empty()
                          ? absl::StrCat(options_.ca.ca_dir, "/root.pem (",
                                         ca_->createdRoot() ? "created" : "loaded", ")")
                          : options_.ca.ca_cert_file;
  std::string token_file = options_.operator_token_file;
  if (token_file.empty()) token_file = absl::StrCat(options_.ca.ca_dir.empty() ? "." : options_.ca.ca_dir, "/operator.token");
  auto token = loadOrCreateOperatorToken(token_file);
  if (!token.ok()) return token.status();
  management_.requireOperatorToken(std::move(*token));
  logLine("strait-control: management API operator token in ", token_file);
  logLine("strait-control: CA ", where, ", trust domain ", ca_->trustDomain(), ", certificate TTL ",
          absl::FormatDuration(options_.ca.max_ttl), ", ", tokens_.size(), " bootstrap tokens");
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ControlServer::credentials() const {
  if (options_.plaintext) {
    logLine("strait-control: WARNING: serving PLAINTEXT gRPC (--plaintext): no transport "
            "security, ADS open to any client; local demos only");
    return grpc::InsecureServerCredentials();
  }
  auto pair = ca_->issueServer({"strait-control", "localhost"}, {"127.0.0.1"}, absl::Now());
  if (!pair.ok()) return pair.status();
  grpc::SslServerCredentialsOptions ssl(GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
  ssl.pem_root_certs = ca_->trustBundlePem();
  ssl.pem_key_cert_pairs.push_back({pair->key_pem, pair->cert_chain_pem});
  auto creds = grpc::SslServerCredentials(ssl);
  OPENSSL_cleanse(pair->key_pem.data(), pair->key_pem.size());
  OPENSSL_cleanse(ssl.pem_key_cert_pairs[0].private_key.data(),
                  ssl.pem_key_cert_pairs[0].private_key.size());
  return creds;
}

absl::Status ControlServer::start() {
  if (!options_.service_cidr.empty()) {
    if (auto vips = ServiceVips::create(options_.service_cidr); !vips.ok()) return vips.status();
  }
  absl::Status st = source_.loadInitial();
  if (!st.ok()) return absl::Status(st.code(), absl::StrCat("config refused: ", st.message()));
  st = startCa();
  if (!st.ok()) return st;
  auto creds = credentials();
  if (!creds.ok()) return creds.status();
  // Before mesh_.start(), so that every version MeshState publishes starts a rollout.
  mesh_listener_ = mesh_.addListener([this] {
    if (auto snap = mesh_.current()) metrics_.versionPublished(snap->version);
  });
  mesh_.start();
  ads_ = std::make_unique<AdsService>(&mesh_, &registry_, options_.plaintext ? nullptr : ca_.get(),
                                      options_.withdraw_timeout, &metrics_, options_.max_response_bytes);
  certificates_ = std::make_unique<CertificateService>(ca_.get(), &tokens_, &metrics_);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options_.listen, *creds, &port_);
  // Generations up to xds::kMaxGenerationBytes go out in one response (gRPC's default is 4 MiB).
  builder.SetMaxSendMessageSize(xds::kAdsMessageLimit);
  builder.RegisterService(ads_.get());
  builder.RegisterService(certificates_.get());
  builder.RegisterService(&management_);
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", options_.listen));
  }
  if (!options_.port_file.empty()) writePortFile(options_.port_file, port_);
  st = startMetrics();
  if (!st.ok()) return st;
  st = source_.startWatching();
  if (!st.ok()) return st;
  std::string host = options_.listen.substr(0, options_.listen.rfind(':'));
  logLine("strait-control: listening on ", host, ":", port_, " (", (options_.plaintext ? "PLAINTEXT" : "TLS"),
          "), serving version ", mesh_.current()->version);
  return absl::OkStatus();
}

absl::Status ControlServer::startMetrics() {
  if (options_.metrics_listen.empty()) return absl::OkStatus();
  metrics_http_ = std::make_unique<MetricsHttpServer>([this] { return metrics_.render(registry_.list()); });
  absl::Status st = metrics_http_->start(options_.metrics_listen);
  if (!st.ok()) return absl::Status(st.code(), absl::StrCat("--metrics-listen: ", st.message()));
  if (!options_.metrics_port_file.empty()) writePortFile(options_.metrics_port_file, metrics_http_->port());
  std::string host = options_.metrics_listen.substr(0, options_.metrics_listen.rfind(':'));
  logLine("strait-control: metrics on http://", host, ":", metrics_http_->port(), "/metrics");
  return absl::OkStatus();
}

void ControlServer::shutdown() {
  if (metrics_http_ != nullptr) metrics_http_->stop();
  source_.stop();
  if (mesh_listener_ >= 0) {
    mesh_.removeListener(mesh_listener_);
    mesh_listener_ = -1;
  }
  mesh_.stop();
  if (server_ == nullptr) return;
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  server_->Wait();
  server_.reset();
}

}  // namespace strait::control
