#include "xds/validate.h"

#include <gtest/gtest.h>

#include "tests/unit/xds/test_config.h"

namespace strait::xds {
namespace {

using strait::v1::Generation;
using testing::goodGeneration;

// Asserts that validation fails with a line holding kind 'name': field: ...reason...
void expectProblem(const Generation& gen, const std::string& kind, const std::string& name,
                   const std::string& field, const std::string& reason) {
  absl::Status st = validateGeneration(gen);
  ASSERT_FALSE(st.ok()) << "expected: " << field << ": " << reason;
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  std::string prefix = kind + " '" + name + "': " + field + ": ";
  size_t at = std::string(st.message()).find(prefix);
  ASSERT_NE(at, std::string::npos) << st.message() << "\nwanted: " << prefix;
  std::string line(st.message().substr(at));
  line = line.substr(0, line.find('\n'));
  EXPECT_NE(line.find(reason), std::string::npos) << line << "\nwanted: " << reason;
}

strait::v1::Route* route0(Generation* g) {
  return g->mutable_route_configs(0)->mutable_virtual_hosts(0)->mutable_routes(0);
}

TEST(Validate, GoodConfigPasses) {
  absl::Status st = validateGeneration(goodGeneration());
  EXPECT_TRUE(st.ok()) << st;
  EXPECT_TRUE(validateGeneration(Generation()).ok());
}

// Over the delivery limit: refused with its size (before, a generation over gRPC's 4 MiB
// passed validation and then never reached the sidecar).
TEST(Validate, GenerationOverTheDeliveryLimitIsRefused) {
  Generation gen = goodGeneration();
  // 1 KiB header values, 65 per route, 1000 routes: about 65 MiB serialised.
  strait::v1::Route base = *route0(&gen);
  auto* routes = gen.mutable_route_configs(0)->mutable_virtual_hosts(0)->mutable_routes();
  for (int i = 0; i < 1000; i++) {
    strait::v1::Route* r = routes->Add();
    *r = base;
    for (int j = 0; j < 65; j++) {
      auto* h = r->add_response_headers_to_add();
      h->set_key("x-pad");
      h->set_value(std::string(1024, 'a'));
    }
  }
  ASSERT_GT(gen.ByteSizeLong(), kMaxGenerationBytes);
  expectProblem(gen, "generation", "all", "size", "over the limit of 67108864 (64 MiB)");
}

TEST(Validate, ListenerRules) {
  Generation g = goodGeneration();
  g.mutable_listeners(0)->set_port(0);
  expectProblem(g, "listener", "ingress", "port", "out of range 1..65535");
  g = goodGeneration();
  g.mutable_listeners(0)->set_address("localhost");
  expectProblem(g, "listener", "ingress", "address", "not an IP address literal");
  g = goodGeneration();
  g.mutable_listeners(0)->set_route_config("missing");
  expectProblem(g, "listener", "ingress", "route_config", "unknown route_config 'missing'");
  g = goodGeneration();
  g.mutable_listeners(1)->set_name("ingress");
  expectProblem(g, "listener", "ingress", "name", "duplicate name");
  g = goodGeneration();
  g.mutable_listeners(1)->set_address("127.0.0.1");
  g.mutable_listeners(1)->set_port(10000);
  expectProblem(g, "listener", "egress", "port", "already used by listener 'ingress'");
  g = goodGeneration();
  g.mutable_listeners(0)->clear_name();
  expectProblem(g, "listener", "", "name", "required");
  g = goodGeneration();
  g.mutable_listeners(0)->mutable_http_options()->mutable_send_timeout()->set_seconds(7200);
  expectProblem(g, "listener", "ingress", "http_options.send_timeout", "must be 1ms to 1h");
  g = goodGeneration();
  g.mutable_listeners(0)->mutable_http_options()->mutable_request_body_min_rate()->mutable_window()->set_nanos(1000000);
  expectProblem(g, "listener", "ingress", "http_options.request_body_min_rate.window", "must be 100ms to 1h");
}

TEST(Validate, RouteMatchRules) {
  Generation g = goodGeneration();
  route0(&g)->mutable_match()->clear_path_specifier();
  expectProblem(g, "route_config", "main", "virtual_hosts[0].routes[0].match",
                "exactly one of prefix, path, safe_regex");
  g = goodGeneration();
  route0(&g)->mutable_match()->set_safe_regex("(unclosed");
  expectProblem(g, "route_config", "main", "virtual_hosts[0].routes[0].match.safe_regex",
                "invalid regex");
  g = goodGeneration();
  route0(&g)->mutable_match()->add_headers()->set_safe_regex_match("[z-a]");
  expectProblem(g, "route_config", "main",
                "virtual_hosts[0].routes[0].match.headers[0].safe_regex_match", "invalid regex");
  g = goodGeneration();
  route0(&g)->mutable_match()->add_headers()->set_name("bad name");
  expectProblem(g, "route_config", "main", "virtual_hosts[0].routes[0].match.headers[0].name",
                "invalid header name");
}

TEST(Validate, RouteActionRules) {
  Generation g = goodGeneration();
  route0(&g)->mutable_route()->set_cluster("nope");
  expectProblem(g, "route_config", "main", "virtual_hosts[0].routes[0].route.cluster",
                "unknown cluster 'nope'");
  g = goodGeneration();
  route0(&g)->mutable_route()->clear_cluster_specifier();
  expectProblem(g, "route_config", "main", "virtual_hosts[0].routes[0].route",
                "one of cluster, weighted_clusters is required");
  g = goodGeneration();
  route0(&g)->mutable_match()->set_path("/exact");
  expectProblem(g, "route_config", "main", "virtual_hosts[0].routes[0].route.prefix_rewrite",
                "only allowed with a prefix match");
  g = goodGeneration();
  route0(&g)->mutable_route()->mutable_timeout()->set_seconds(-1);
  expectProblem(g, "route_config", "main", "virtual_hosts[0].routes[0].route.timeout", ">= 0");
}

TEST(Validate, WeightedClusterRules) {
  Generation g = goodGeneration();
  auto* wc = g.mutable_route_configs(0)->mutable_virtual_hosts(0)->mutable_routes(1)
                 ->mutable_route()->mutable_weighted_clusters();
  wc->mutable_clusters(0)->set_weight(10001);
  expectProblem(g, "route_config", "main",
                "virtual_hosts[0].routes[1].route.weighted_clusters.clusters[0].weight",
                "out of range 0..10000");
  wc->mutable_clusters(0)->set_weight(0);
  wc->mutable_clusters(1)->set_weight(0);
  expectProblem(g, "route_config", "main", "virtual_hosts[0].routes[1].route.weighted_clusters",
                "at least one cluster needs a weight above 0");
  wc->mutable_clusters(1)->set_name("ghost");
  expectProblem(g, "route_config", "main",
                "virtual_hosts[0].routes[1].route.weighted_clusters.clusters[1].name",
                "unknown cluster 'ghost'");
}

TEST(Validate, DomainAndHeaderRules) {
  Generation g = goodGeneration();
  g.mutable_route_configs(0)->mutable_virtual_hosts(0)->add_domains("*");
  expectProblem(g, "route_config", "main", "virtual_hosts[0].domains[3]", "duplicate domain");
  g = goodGeneration();
  g.mutable_route_configs(0)->mutable_virtual_hosts(0)->add_domains("a.*.b");
  expectProblem(g, "route_config", "main", "virtual_hosts[0].domains[3]", "invalid domain");
  g = goodGeneration();
  route0(&g)->mutable_request_headers_to_add(0)->set_value("a\r\nb");
  expectProblem(g, "route_config", "main",
                "virtual_hosts[0].routes[0].request_headers_to_add[0].value", "CR, LF or NUL");
  g = goodGeneration();
  g.mutable_route_configs(0)->add_response_headers_to_add()->set_key("x y");
  expectProblem(g, "route_config", "main", "response_headers_to_add[0].key",
                "invalid header name");
}

TEST(Validate, ClusterRules) {
  Generation g = goodGeneration();
  g.mutable_clusters(0)->mutable_connect_timeout()->set_seconds(61);
  expectProblem(g, "cluster", "api", "connect_timeout", "between 1ms and 60s");
  g = goodGeneration();
  g.mutable_clusters(0)->mutable_connect_timeout()->set_seconds(0);
  expectProblem(g, "cluster", "api", "connect_timeout", "between 1ms and 60s");
  g = goodGeneration();
  g.add_clusters()->set_name("lonely");
  expectProblem(g, "cluster", "lonely", "name", "no load_assignment");
  // ORIGINAL_DST: no load assignment needed, none allowed, nor health checks or balancing.
  g = goodGeneration();
  g.add_clusters()->set_name("passthrough");
  g.mutable_clusters(g.clusters_size() - 1)->set_type(strait::v1::Cluster::ORIGINAL_DST);
  EXPECT_TRUE(validateGeneration(g).ok()) << validateGeneration(g);
  g.mutable_clusters(0)->set_type(strait::v1::Cluster::ORIGINAL_DST);
  expectProblem(g, "cluster", "api", "type", "ORIGINAL_DST takes no load_assignment");
  g.mutable_clusters(g.clusters_size() - 1)->set_lb_policy(strait::v1::Cluster::MAGLEV);
  expectProblem(g, "cluster", "passthrough", "type", "ORIGINAL_DST takes no lb_policy or lb_config");
  // SERVICE: endpoints from the control plane's workloads; a service and a port are needed.
  g = goodGeneration();
  g.add_clusters()->set_name("mesh");
  g.mutable_clusters(g.clusters_size() - 1)->set_type(strait::v1::Cluster::SERVICE);
  expectProblem(g, "cluster", "mesh", "service", "required for a SERVICE cluster");
  expectProblem(g, "cluster", "mesh", "service_port", "required for a SERVICE cluster, 1..65535");
  g.mutable_clusters(g.clusters_size() - 1)->set_service("mesh");
  g.mutable_clusters(g.clusters_size() - 1)->set_service_port(8080);
  EXPECT_TRUE(validateGeneration(g).ok()) << validateGeneration(g);
  g.mutable_clusters(0)->set_service("api");
  expectProblem(g, "cluster", "api", "service", "belong to SERVICE clusters");
  g = goodGeneration();
  g.mutable_clusters(1)->set_name("api");
  expectProblem(g, "cluster", "api", "name", "duplicate name");
}

// Service addresses: literals, one per service, one service per address; tcp_clusters name
// SERVICE clusters of distinct service ports on interception listeners.
TEST(Validate, ServiceVipsAndTcpClusters) {
  auto addService = [](Generation* g, const std::string& name, const std::string& service, uint32_t port,
                       const std::string& vip) {
    auto* c = g->add_clusters();
    c->set_name(name);
    c->set_type(strait::v1::Cluster::SERVICE);
    c->set_service(service);
    c->set_service_port(port);
    c->set_service_vip(vip);
  };
  Generation g = goodGeneration();
  addService(&g, "redis", "redis", 6379, "240.240.0.9");
  addService(&g, "redis-admin", "redis", 8080, "");
  g.mutable_listeners(0)->set_use_original_dst(true);
  g.mutable_listeners(0)->add_tcp_clusters("redis");
  EXPECT_TRUE(validateGeneration(g).ok()) << validateGeneration(g);
  Generation bad = g;
  bad.mutable_clusters(bad.clusters_size() - 1)->set_service_vip("240.240.0.10");
  expectProblem(bad, "cluster", "redis-admin", "service_vip", "service 'redis' already has address 240.240.0.9");
  bad = g;
  addService(&bad, "db", "db", 5432, "240.240.0.9");
  expectProblem(bad, "cluster", "db", "service_vip", "240.240.0.9 is already service 'redis'");
  bad = g;
  bad.mutable_clusters(bad.clusters_size() - 1)->set_service_vip("redis.local");
  expectProblem(bad, "cluster", "redis-admin", "service_vip", "not an IP address literal");
  bad = g;
  bad.mutable_clusters(0)->set_service_vip("240.240.0.7");
  expectProblem(bad, "cluster", "api", "service", "belong to SERVICE clusters");
  bad = g;
  bad.mutable_listeners(0)->set_use_original_dst(false);
  expectProblem(bad, "listener", "ingress", "tcp_clusters", "needs use_original_dst");
  bad = g;
  bad.mutable_listeners(0)->add_tcp_clusters("api");
  expectProblem(bad, "listener", "ingress", "tcp_clusters", "cluster 'api' is not a SERVICE cluster");
  bad = g;
  bad.mutable_listeners(0)->add_tcp_clusters("nope");
  expectProblem(bad, "listener", "ingress", "tcp_clusters", "unknown cluster 'nope'");
  bad = g;
  bad.mutable_listeners(0)->add_tcp_ports(70000);
  expectProblem(bad, "listener", "ingress", "tcp_ports", "port 70000 out of range 1..65535");
  bad = goodGeneration();
  bad.mutable_listeners(0)->add_tcp_ports(5432);
  expectProblem(bad, "listener", "ingress", "tcp_ports", "needs use_original_dst");
  bad = g;
  addService(&bad, "redis-too", "redis", 6379, "");
  bad.mutable_listeners(0)->add_tcp_clusters("redis-too");
  expectProblem(bad, "listener", "ingress", "tcp_clusters", "are both service 'redis' port 6379");
}

// Access logs are checked by the same rules the sidecar applies (straitctl validate agrees).
TEST(Validate, AccessLogs) {
  Generation g = goodGeneration();
  auto* log = g.mutable_listeners(0)->add_access_logs();
  log->set_path("/var/log/strait/access.log");
  EXPECT_TRUE(validateGeneration(g).ok()) << validateGeneration(g);
  log->set_format(strait::v1::AccessLog::TEXT);
  log->set_text_format("%METHOD% %STATUS%");
  expectProblem(g, "listener", "ingress", "access_logs[0].text_format", "unknown %STATUS%");
  log->set_text_format("");
  log->mutable_filter()->set_sample(2);
  expectProblem(g, "listener", "ingress", "access_logs[0].filter.sample", "must be in (0, 1]");
  log->mutable_filter()->set_sample(0.01);
  log->clear_path();
  expectProblem(g, "listener", "ingress", "access_logs[0].path", "required");
}

TEST(Validate, LoadAssignmentRules) {
  Generation g = goodGeneration();
  auto* ep = g.mutable_load_assignments(0)->mutable_endpoints(0);
  ep->set_weight(1001);
  expectProblem(g, "load_assignment", "api", "endpoints[0].weight", "out of range 1..1000");
  ep->set_weight(0);
  ep->set_port(65536);
  expectProblem(g, "load_assignment", "api", "endpoints[0].port", "out of range 1..65535");
  ep->set_port(80);
  ep->set_address("10.0.0.256");
  expectProblem(g, "load_assignment", "api", "endpoints[0].address", "not an IP address");
  g = goodGeneration();
  g.add_load_assignments()->set_cluster_name("ghost");
  expectProblem(g, "load_assignment", "ghost", "cluster_name", "unknown cluster 'ghost'");
  g = goodGeneration();
  g.add_load_assignments()->set_cluster_name("api");
  expectProblem(g, "load_assignment", "api", "cluster_name", "duplicate name");
}

TEST(Validate, SecretRules) {
  Generation g = goodGeneration();
  g.mutable_secrets(0)->set_certificate_chain("not pem");
  expectProblem(g, "secret", "cert", "certificate_chain", "not PEM");
  g = goodGeneration();
  g.add_secrets()->set_name("cert");
  expectProblem(g, "secret", "cert", "name", "duplicate name");
}

TEST(Validate, CollectsAllProblemsOnePerLine) {
  Generation g = goodGeneration();
  g.mutable_listeners(0)->set_port(0);
  g.mutable_clusters(0)->mutable_connect_timeout()->set_seconds(100);
  absl::Status st = validateGeneration(g);
  ASSERT_FALSE(st.ok());
  std::string msg(st.message());
  EXPECT_EQ(std::count(msg.begin(), msg.end(), '\n'), 1) << msg;
}

}  // namespace
}  // namespace strait::xds
