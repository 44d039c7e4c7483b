// RouteTable::route() for route tables of 10 and 10,000 routes (prefix-only, regex-only and
// mixed), to show how the match cost grows with the table. Run:
// build/bench/micro/route_bench (see bench/README.md).
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "sidecar/router/route_table.h"

namespace strait::proxy {
namespace {

enum Kind { kPrefix = 0, kRegex = 1, kMixed = 2 };

bool isRegex(Kind kind, int i) { return kind == kRegex || (kind == kMixed && i % 2 == 1); }

std::unique_ptr<RouteTable> makeTable(Kind kind, int n) {
  strait::v1::RouteConfiguration rc;
  rc.set_name("bench");
  auto* vh = rc.add_virtual_hosts();
  vh->set_name("all");
  vh->add_domains("*");
  for (int i = 0; i < n; i++) {
    auto* r = vh->add_routes();
    r->set_name(absl::StrCat("r", i));
    if (isRegex(kind, i)) {
      r->mutable_match()->set_safe_regex(absl::StrCat("/svc", i, "/items/[0-9]+"));
    } else {
      r->mutable_match()->set_prefix(absl::StrCat("/svc", i, "/"));
    }
    r->mutable_route()->set_cluster("c");
  }
  auto t = RouteTable::build(rc);
  if (!t.ok()) std::abort();
  return std::move(*t);
}

// Request paths spread uniformly over the table's routes (each matches exactly its route).
std::vector<std::string> makePaths(int n) {
  std::mt19937 rng(42);
  std::vector<std::string> paths;
  for (int i = 0; i < 1024; i++) paths.push_back(absl::StrCat("/svc", rng() % n, "/items/12345"));
  return paths;
}

// `linear`: the plain first-match scan (RouteTable::routeLinear), for comparison with the
// first-segment index that route() uses.
void runRoute(benchmark::State& state, bool linear) {
  Kind kind = static_cast<Kind>(state.range(0));
  int n = static_cast<int>(state.range(1));
  auto table = makeTable(kind, n);
  auto paths = makePaths(n);
  http::HeaderMap headers;
  headers.add("host", "svc.local");
  headers.add("user-agent", "bench");
  size_t i = 0;
  for (auto _ : state) {
    RouteRequest req;
    req.host = "svc.local";
    req.path = paths[i++ & 1023];
    req.method = "GET";
    req.headers = &headers;
    const CompiledRoute* r = linear ? table->routeLinear(req) : table->route(req);
    if (r == nullptr) state.SkipWithError("no match");
    benchmark::DoNotOptimize(r);
  }
  static const char* const kNames[] = {"prefix", "regex", "mixed"};
  state.SetLabel(absl::StrCat(kNames[kind], " ", n, " routes", linear ? ", linear scan" : ""));
}

void BM_Route(benchmark::State& state) { runRoute(state, false); }
void BM_RouteLinear(benchmark::State& state) { runRoute(state, true); }

BENCHMARK(BM_Route)->ArgsProduct({{kPrefix, kRegex, kMixed}, {10, 10000}});
BENCHMARK(BM_RouteLinear)->ArgsProduct({{kPrefix, kRegex, kMixed}, {10, 10000}});

}  // namespace
}  // namespace strait::proxy

BENCHMARK_MAIN();
