// What an access log line costs on the worker: formatting a typical request's StreamInfo as
// JSON and as the default text template (the file write is the writer thread's).
//   ./build/bench/micro/access_log_bench
#include <benchmark/benchmark.h>
#include <unistd.h>

#include "sidecar/accesslog/access_log.h"

namespace {

using strait::accesslog::AccessLog;
using strait::accesslog::LineClock;

strait::http::StreamInfo typical() {
  strait::http::StreamInfo i;
  i.method = "GET";
  i.authority = "api.default.svc:8080";
  i.path = "/v1/items/12345?expand=owner";
  i.protocol = "HTTP/1.1";
  i.start_ms = 1000;
  i.first_upstream_byte_ms = 1002;
  i.end_ms = 1003;
  i.response_code = 200;
  i.bytes_sent = 1024;
  i.route_name = "items";
  i.cluster_name = "api";
  i.upstream_host = "10.0.3.7:8080";
  i.attempts = 1;
  i.request_id = "3f9a7c2e-1b4d-4e8f-9a6b-2c1d0e9f8a7b";
  i.downstream_address = "10.0.1.2";
  i.client_ip = "10.0.1.2";
  i.peer_identity = "spiffe://strait.local/ns/default/sa/web";
  i.listener = "inbound";
  return i;
}

std::shared_ptr<const AccessLog> make(strait::v1::AccessLog::Format format) {
  strait::v1::AccessLog config;
  config.set_path("/dev/null");
  config.set_format(format);
  return *AccessLog::create(config);
}

void BM_FormatJson(benchmark::State& state) {
  auto log = make(strait::v1::AccessLog::JSON);
  strait::http::StreamInfo info = typical();
  LineClock clock{1010, 1796432523000000};
  std::string line;  // reused, as the worker's per-thread buffer is
  for (auto _ : state) {
    clock.now_ms++;  // a new millisecond each line, the same second most of the time
    line.clear();
    log->formatInto(info, clock, &line);
    benchmark::DoNotOptimize(line.data());
  }
}
BENCHMARK(BM_FormatJson);

void BM_FormatText(benchmark::State& state) {
  auto log = make(strait::v1::AccessLog::TEXT);
  strait::http::StreamInfo info = typical();
  LineClock clock{1010, 1796432523000000};
  std::string line;
  for (auto _ : state) {
    clock.now_ms++;
    line.clear();
    log->formatInto(info, clock, &line);
    benchmark::DoNotOptimize(line.data());
  }
}
BENCHMARK(BM_FormatText);

}  // namespace

BENCHMARK_MAIN();
