// strait-control: serves the config directory to sidecars over ADS, the mesh CA, and the
// management API, on one gRPC port (TLS unless --plaintext).
#include <csignal>
#include <cstring>
#include <iostream>
#include <string>

#include "common/flag_value.h"
#include "common/mutex_checks.h"
#include "absl/time/time.h"
#include "control/server.h"
#include "control/service_vips.h"

namespace {

constexpr const char* kUsage =
    "usage: strait-control --config-dir DIR [--listen HOST:PORT] [--port-file FILE]\n"
    "         [--plaintext] [--tokens FILE] [--operator-token-file FILE] [--trust-domain NAME]\n"
    "         [--cert-ttl DURATION] [--endpoint-grace DURATION] [--withdraw-timeout DURATION]\n"
    "         [--ca-dir DIR | --ca-cert FILE --ca-key FILE] [--extra-trust-root FILE]...\n"
    "         [--service-cidr CIDR] [--metrics-listen HOST:PORT [--metrics-port-file FILE]]\n"
    "         [--state-dir DIR] [--push-debounce DURATION]\n"
    "  --plaintext         serve gRPC without TLS (local demos only; prints a warning)\n"
    "  --tokens FILE       bootstrap tokens, YAML: tokens: [{token, namespace, service_account}]\n"
    "  --operator-token-file FILE  the management API's operator token (straitctl --token-file);\n"
    "                      default <ca-dir>/operator.token, created (0600) on first start\n"
    "  --trust-domain      SPIFFE trust domain (default strait.local)\n"
    "  --cert-ttl          default and maximum workload certificate lifetime (default 24h)\n"
    "  --ca-dir DIR        root CA root.pem/root.key, created on first start (default ./strait-ca)\n"
    "  --ca-cert/--ca-key  use this CA (root or intermediate; the file may append its chain)\n"
    "  --extra-trust-root  another root for the trust bundle (rotation); repeatable\n"
    "  --endpoint-grace    how long a workload's endpoint outlives its sidecar's stream (default 10s)\n"
    "  --push-debounce     a workload that starts serving is published within this, together with\n"
    "                      the others that did meanwhile, and so is one that drains (default 100ms;\n"
    "                      0: each at once). Expiries and config changes publish at once\n"
    "  --state-dir DIR     keeps the served version and the workloads in DIR/served-state, so a\n"
    "                      restart serves the same content under the same version (default: the\n"
    "                      CA directory)\n"
    "  --withdraw-timeout  how long a draining sidecar waits at most for the others to drop its\n"
    "                      endpoint (default 5s)\n"
    "  --service-cidr      where mesh services get their virtual addresses (default\n"
    "                      240.240.0.0/16; see `straitctl hosts`)\n"
    "  --metrics-listen    serve Prometheus metrics (GET /metrics, plain HTTP, no auth) on\n"
    "                      HOST:PORT (port 0 picks a free one); default: off. Families, all\n"
    "                      strait_control_*: sidecars_connected, sidecars_acked{version},\n"
    "                      push_latency_seconds (version current -> all connected sidecars\n"
    "                      ACKed), nacks_total{resource}, certificates_issued_total,\n"
    "                      certificate_renewals_total, certificate_failures_total,\n"
    "                      config_loads_accepted_total, config_loads_refused_total,\n"
    "                      config_last_load_refused\n"
    "  --metrics-port-file FILE  the metrics port is written here\n";

int usage() {
  std::cerr << kUsage;
  return 2;
}

bool setValueFlag(const std::string& flag, const std::string& value,
                  strait::control::ServerOptions* opts) {
  if (flag == "--config-dir") opts->config_dir = value;
  else if (flag == "--listen") opts->listen = value;
  else if (flag == "--port-file") opts->port_file = value;
  else if (flag == "--tokens") opts->tokens_file = value;
  else if (flag == "--operator-token-file") opts->operator_token_file = value;
  else if (flag == "--trust-domain") opts->ca.trust_domain = value;
  else if (flag == "--ca-dir") opts->ca.ca_dir = value;
  else if (flag == "--ca-cert") opts->ca.ca_cert_file = value;
  else if (flag == "--ca-key") opts->ca.ca_key_file = value;
  else if (flag == "--extra-trust-root") opts->ca.extra_trust_root_files.push_back(value);
  else if (flag == "--cert-ttl") return absl::ParseDuration(value, &opts->ca.max_ttl);
  else if (flag == "--endpoint-grace") return absl::ParseDuration(value, &opts->endpoint_grace);
  else if (flag == "--state-dir") opts->state_dir = value;
  else if (flag == "--push-debounce") return absl::ParseDuration(value, &opts->push_debounce);
  else if (flag == "--withdraw-timeout") return absl::ParseDuration(value, &opts->withdraw_timeout);
  else if (flag == "--metrics-listen") opts->metrics_listen = value;
  else if (flag == "--metrics-port-file") opts->metrics_port_file = value;
  else if (flag == "--service-cidr") {
    if (auto vips = strait::control::ServiceVips::create(value); !vips.ok()) {
      std::cerr << "strait-control: --service-cidr: " << vips.status().message() << std::endl;
      return false;
    }
    opts->service_cidr = value;
  }
  else return false;
  return true;
}

// Hand-parsed flags; accepts "--flag value" and "--flag=value"; --plaintext takes no value.
bool parseFlags(int argc, char** argv, strait::control::ServerOptions* opts) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--plaintext") {
      opts->plaintext = true;
      continue;
    }
    std::string value;
    if (!strait::common::takeFlagValue(argc, argv, &i, &arg, &value)) return false;
    if (!setValueFlag(arg, value, opts)) {
      std::cerr << "strait-control: bad flag " << arg << std::endl;
      return false;
    }
  }
  return !opts->config_dir.empty();
}

}  // namespace

int main(int argc, char** argv) {
  strait::common::releaseBuildMutexChecks();
  strait::control::ServerOptions opts;
  if (!parseFlags(argc, argv, &opts)) return usage();
  // Block the stop signals in every thread; main waits for them with sigwait.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  strait::control::ControlServer server(opts);
  absl::Status st = server.start();
  if (!st.ok()) {
    std::cerr << "strait-control: " << st.message() << std::endl;
    return 1;
  }
  int sig = 0;
  sigwait(&stop_signals, &sig);
  std::cerr << "strait-control: " << strsignal(sig) << ", shutting down" << std::endl;
  server.shutdown();
  return 0;
}
