// pick() per load-balancing policy over 100 endpoints, and what a generation pays to build
// the hash tables. Run: build/bench/micro/lb_bench (see bench/README.md).
#include <benchmark/benchmark.h>

#include "absl/strings/str_cat.h"
#include "sidecar/upstream/lb_hash.h"
#include "sidecar/upstream/load_balancer.h"
#include "sidecar/upstream/stable_hash.h"

namespace strait::proxy {
namespace {

using strait::v1::Cluster;

constexpr int kEndpoints = 100;
// The dispatcher's clock moves once per loop iteration; at tens of thousands of requests a
// second per worker, a balancer sees a new millisecond (and re-samples availability) about
// every few dozen picks.
constexpr int kPicksPerMs = 32;

std::shared_ptr<const ClusterInfo> makeCluster(Cluster::LbPolicy policy, int unavailable) {
  Cluster c;
  c.set_name("bench");
  c.set_lb_policy(policy);
  if (policy == Cluster::RING_HASH || policy == Cluster::MAGLEV) {
    c.mutable_lb_config()->mutable_hash_policy()->set_header_name("x-user");
  }
  strait::v1::ClusterLoadAssignment la;
  for (int i = 0; i < kEndpoints; i++) {
    auto* ep = la.add_endpoints();
    ep->set_address(absl::StrCat("10.0.", i / 250, ".", i % 250 + 1));
    ep->set_port(8080);
  }
  auto info = ClusterInfo::build(c, &la);
  if (!info.ok()) std::abort();
  for (int i = 0; i < unavailable; i++) {
    (*info)->endpoints[static_cast<size_t>(i * 7 % kEndpoints)].state->health_check_failed = true;
  }
  return *info;
}

void BM_Pick(benchmark::State& state) {
  auto policy = static_cast<Cluster::LbPolicy>(state.range(0));
  LoadBalancer lb(makeCluster(policy, static_cast<int>(state.range(1))), 1);
  std::vector<uint64_t> keys;
  for (int i = 0; i < 4096; i++) keys.push_back(xxHash64(absl::StrCat("user-", i)));
  LbContext context;
  uint64_t n = 0;
  for (auto _ : state) {
    context.now_ms = static_cast<int64_t>(n / kPicksPerMs);
    context.hash = keys[n % keys.size()];
    benchmark::DoNotOptimize(lb.pick(context));
    n++;
  }
  state.SetLabel(Cluster::LbPolicy_Name(policy));
}
// Args: policy, unavailable endpoints (10: 10% down, below the panic threshold).
BENCHMARK(BM_Pick)->ArgsProduct({{Cluster::ROUND_ROBIN, Cluster::RANDOM, Cluster::LEAST_REQUEST,
                                  Cluster::RING_HASH, Cluster::MAGLEV}, {0, 10}});

void BM_RequestHash(benchmark::State& state) {
  strait::v1::LbConfig::HashPolicy proto;
  if (state.range(0) == 0) proto.set_header_name("x-user");
  else proto.set_cookie_name("session");
  HashPolicy policy = HashPolicy::fromProto(proto);
  http::RequestHead head;
  for (const char* name : {"host", "user-agent", "accept", "x-request-id"}) head.headers.add(name, "some value");
  head.headers.add("x-user", "user-12345");
  head.headers.add("cookie", "theme=dark; session=0123456789abcdef; lang=en");
  for (auto _ : state) benchmark::DoNotOptimize(requestHash(policy, head, "10.1.2.3"));
  state.SetLabel(state.range(0) == 0 ? "header" : "cookie");
}
BENCHMARK(BM_RequestHash)->Arg(0)->Arg(1);

void BM_BuildTable(benchmark::State& state) {
  auto policy = static_cast<Cluster::LbPolicy>(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(makeCluster(policy, 0));
  state.SetLabel(Cluster::LbPolicy_Name(policy));
}
BENCHMARK(BM_BuildTable)->Arg(Cluster::ROUND_ROBIN)->Arg(Cluster::RING_HASH)->Arg(Cluster::MAGLEV)
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace strait::proxy

BENCHMARK_MAIN();
