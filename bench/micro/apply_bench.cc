// The sidecar's apply path on a fleet-sized generation (what bench/fleet/gen_config.py writes:
// ROUTES prefix routes on one virtual host, 1,000 clusters, 10 endpoints each), one step at a
// time: decoding it from the wire, validating it, building a snapshot from nothing, building
// one after a change of one endpoint (route table and 999 clusters reused), and the control
// plane's read of the same generation as a JSON config file. Run:
// build/bench/micro/apply_bench (see bench/README.md, "Fleet: apply time").
#include <benchmark/benchmark.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "sidecar/server/snapshot_builder.h"
#include "xds/validate.h"
#include "xds/yaml_proto.h"

namespace strait::server {
namespace {

constexpr int kClusters = 1000;
constexpr int kEndpoints = 10;

strait::v1::Generation makeGeneration(int routes, int weighted_cluster = -1) {
  strait::v1::Generation gen;
  auto* rc = gen.add_route_configs();
  rc->set_name("bench");
  auto* vh = rc->add_virtual_hosts();
  vh->set_name("all");
  vh->add_domains("*");
  for (int i = 0; i < routes; i++) {
    auto* r = vh->add_routes();
    r->mutable_match()->set_prefix(absl::StrCat("/r", i, "/"));
    r->mutable_route()->set_cluster(absl::StrCat("c", i % kClusters));
  }
  for (int i = 0; i < kClusters; i++) {
    auto* c = gen.add_clusters();
    c->set_name(absl::StrCat("c", i));
    c->mutable_connect_timeout()->set_seconds(1);
    auto* la = gen.add_load_assignments();
    la->set_cluster_name(c->name());
    for (int k = 0; k < kEndpoints; k++) {
      auto* ep = la->add_endpoints();
      ep->set_address(absl::StrCat("127.0.", k / 250, ".", 2 + k % 250));
      ep->set_port(9000);
      if (i == weighted_cluster && k == 0) ep->set_weight(2);
    }
  }
  return gen;
}

void BM_Decode(benchmark::State& state) {
  std::string wire = makeGeneration(static_cast<int>(state.range(0))).SerializeAsString();
  for (auto _ : state) {
    strait::v1::Generation gen;
    benchmark::DoNotOptimize(gen.ParseFromString(wire));
  }
}

void BM_Validate(benchmark::State& state) {
  strait::v1::Generation gen = makeGeneration(static_cast<int>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(xds::validateGeneration(gen));
}

void BM_BuildFirst(benchmark::State& state) {
  strait::v1::Generation gen = makeGeneration(static_cast<int>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(buildSnapshot("1", gen, nullptr));
}

// The generation after one endpoint's weight changed: validated and built against the
// previous snapshot, as the sidecar does.
void BM_BuildOneEndpointChanged(benchmark::State& state) {
  int routes = static_cast<int>(state.range(0));
  auto previous = buildSnapshot("1", makeGeneration(routes), nullptr);
  if (!previous.ok()) std::abort();
  strait::v1::Generation next = makeGeneration(routes, 7);
  BuildReport r;
  for (auto _ : state) benchmark::DoNotOptimize(buildSnapshot("2", next, previous->get(), {}, &r));
  auto ms = [](absl::Duration d) { return absl::ToDoubleMilliseconds(d); };
  state.counters["validate_ms"] = ms(r.validate);
  state.counters["copy_ms"] = ms(r.copy);
  state.counters["routes_ms"] = ms(r.routes);
  state.counters["clusters_ms"] = ms(r.clusters);
  state.counters["listeners_ms"] = ms(r.listeners);
}

void BM_ControlReadJsonFile(benchmark::State& state) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  if (!google::protobuf::util::MessageToJsonString(makeGeneration(static_cast<int>(state.range(0))), &json, options)
           .ok()) {
    std::abort();
  }
  for (auto _ : state) {
    strait::v1::Generation gen;
    benchmark::DoNotOptimize(xds::yamlToMessage(json, &gen));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * json.size()));
}

BENCHMARK(BM_Decode)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Validate)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_BuildFirst)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_BuildOneEndpointChanged)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ControlReadJsonFile)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace strait::server

BENCHMARK_MAIN();
