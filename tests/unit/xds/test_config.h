// A small valid configuration shared by the xds tests.
#pragma once

#include <string>

#include "strait/v1/generation.pb.h"
#include "xds/yaml_proto.h"

namespace strait::xds::testing {

inline constexpr char kGoodConfig[] = R"(
listeners:
  - name: ingress
    address: 127.0.0.1
    port: 10000
    route_config: main
    services: [web]
  - name: egress
    address: "::1"
    port: 10001
    route_config: other
    services: [api]
route_configs:
  - name: main
    virtual_hosts:
      - name: all
        domains: ["*", "*.example.com", "api.*"]
        routes:
          - match: { prefix: /api }
            route: { cluster: api, prefix_rewrite: /, timeout: 2s }
            request_headers_to_add: [{ key: x-env, value: test }]
          - match:
              safe_regex: "/v[0-9]+/.*"
              headers: [{ name: ":method", safe_regex_match: "GET|HEAD" }]
            route:
              weighted_clusters:
                clusters: [{ name: api, weight: 90 }, { name: canary, weight: 10 }]
  - name: other
    virtual_hosts:
      - domains: ["*"]
        routes: [{ match: { path: /x }, route: { cluster: backend } }]
clusters:
  - { name: api, connect_timeout: 1s }
  - { name: canary }
  - { name: backend }
load_assignments:
  - cluster_name: api
    endpoints: [{ address: 127.0.0.1, port: 8080, weight: 1000 }]
  - cluster_name: canary
    endpoints: [{ address: "::1", port: 8081 }]
  - cluster_name: backend
secrets:
  - name: cert
    certificate_chain: "-----BEGIN CERTIFICATE-----\n..."
)";

inline strait::v1::Generation goodGeneration() {
  strait::v1::Generation gen;
  absl::Status st = yamlToMessage(kGoodConfig, &gen);
  if (!st.ok()) abort();
  return gen;
}

// A generation with one virtual host whose filters are `vhost_filters` and whose one route
// has `route_filters` (YAML lists of HttpFilter, e.g. "[{compression: {}}]"), for the filters'
// validation tests.
inline strait::v1::Generation filterGeneration(const std::string& vhost_filters,
                                               const std::string& route_filters = "[]") {
  std::string yaml = R"(
route_configs:
  - name: main
    virtual_hosts:
      - name: vh
        domains: ["*"]
        filters: )" + vhost_filters + R"(
        routes:
          - match: {prefix: /}
            route: {cluster: a}
            filters: )" + route_filters + R"(
clusters: [{name: a}]
load_assignments: [{cluster_name: a, endpoints: [{address: 10.0.0.1, port: 80}]}]
)";
  strait::v1::Generation gen;
  if (!yamlToMessage(yaml, &gen).ok()) abort();
  return gen;
}

}  // namespace strait::xds::testing
