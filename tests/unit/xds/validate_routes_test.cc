// Validation of the routing-policy fields (issue 6): each refusal names its field.
#include <gtest/gtest.h>

#include "tests/unit/xds/test_config.h"
#include "xds/validate.h"

namespace strait::xds {
namespace {

using strait::v1::Generation;
using testing::goodGeneration;

void expectProblem(const Generation& gen, const std::string& field, const std::string& reason) {
  absl::Status st = validateGeneration(gen);
  ASSERT_FALSE(st.ok()) << "expected: " << field << ": " << reason;
  std::string prefix = "route_config 'main': " + field + ": ";
  std::string msg(st.message());
  size_t at = msg.find(prefix);
  ASSERT_NE(at, std::string::npos) << msg << "\nwanted: " << prefix;
  std::string line = msg.substr(at);
  line = line.substr(0, line.find('\n'));
  EXPECT_NE(line.find(reason), std::string::npos) << line << "\nwanted: " << reason;
}

strait::v1::Route* route0(Generation* g) {
  return g->mutable_route_configs(0)->mutable_virtual_hosts(0)->mutable_routes(0);
}

const char kR0[] = "virtual_hosts[0].routes[0]";

TEST(ValidateRoutes, NewFieldsAccepted) {
  Generation g = goodGeneration();
  auto* r = route0(&g);
  r->mutable_match()->set_case_insensitive(true);
  r->mutable_match()->add_methods("GET");
  r->mutable_match()->add_source_cidrs("10.0.0.0/8");
  r->mutable_match()->add_source_cidrs("::1/128");
  r->mutable_match()->add_source_cidrs("127.0.0.1");
  auto* q = r->mutable_match()->add_query_parameters();
  q->set_name("debug");
  q->set_safe_regex_match("[01]");
  r->mutable_route()->set_prefix_rewrite("");
  r->mutable_route()->mutable_regex_rewrite()->set_pattern("^/v1/(\\w+)$");
  r->mutable_route()->mutable_regex_rewrite()->set_substitution("/\\1");
  r->mutable_route()->set_auto_host_rewrite(true);
  auto* m = r->mutable_route()->add_request_mirror_policies();
  m->set_cluster("canary");
  m->set_runtime_percent(12.5);
  auto* h = r->add_request_headers_to_add();
  h->set_key("x-client");
  h->set_value("%DOWNSTREAM_REMOTE_ADDRESS% via %ROUTE_NAME% 100%%");
  r->add_response_headers_to_remove("server");
  absl::Status st = validateGeneration(g);
  EXPECT_TRUE(st.ok()) << st;
}

TEST(ValidateRoutes, ActionIsRequired) {
  Generation g = goodGeneration();
  route0(&g)->clear_action();
  expectProblem(g, kR0, "one of route, redirect, direct_response is required");
}

TEST(ValidateRoutes, MatchFields) {
  Generation g = goodGeneration();
  route0(&g)->mutable_match()->add_source_cidrs("10.0.0.0/33");
  expectProblem(g, std::string(kR0) + ".match.source_cidrs[0]", "invalid CIDR '10.0.0.0/33'");
  g = goodGeneration();
  route0(&g)->mutable_match()->add_source_cidrs("example.com/8");
  expectProblem(g, std::string(kR0) + ".match.source_cidrs[0]", "invalid CIDR");
  g = goodGeneration();
  route0(&g)->mutable_match()->add_methods("GE T");
  expectProblem(g, std::string(kR0) + ".match.methods[0]", "invalid method");
  g = goodGeneration();
  route0(&g)->mutable_match()->add_query_parameters()->set_safe_regex_match("(");
  expectProblem(g, std::string(kR0) + ".match.query_parameters[0].name", "must not be empty");
  expectProblem(g, std::string(kR0) + ".match.query_parameters[0].safe_regex_match", "invalid regex");
}

TEST(ValidateRoutes, Rewrites) {
  Generation g = goodGeneration();
  route0(&g)->mutable_route()->mutable_regex_rewrite()->set_pattern("^/(a)$");
  route0(&g)->mutable_route()->mutable_regex_rewrite()->set_substitution("/\\2");
  expectProblem(g, std::string(kR0) + ".route.regex_rewrite.substitution", "requests 2 matches");
  expectProblem(g, std::string(kR0) + ".route.regex_rewrite", "only one of prefix_rewrite, regex_rewrite");
  g = goodGeneration();
  route0(&g)->mutable_route()->mutable_regex_rewrite()->set_pattern("(");
  expectProblem(g, std::string(kR0) + ".route.regex_rewrite.pattern", "invalid regex");
  g = goodGeneration();
  route0(&g)->mutable_route()->set_host_rewrite_literal("a/b");
  expectProblem(g, std::string(kR0) + ".route.host_rewrite_literal", "host[:port]");
}

TEST(ValidateRoutes, Mirrors) {
  Generation g = goodGeneration();
  auto* m = route0(&g)->mutable_route()->add_request_mirror_policies();
  m->set_cluster("nope");
  m->set_runtime_percent(100.5);
  m->set_max_body_bytes(17u * 1024 * 1024);
  std::string base = std::string(kR0) + ".route.request_mirror_policies[0]";
  expectProblem(g, base + ".cluster", "unknown cluster 'nope'");
  expectProblem(g, base + ".runtime_percent", "between 0 and 100");
  expectProblem(g, base + ".max_body_bytes", "16 MiB");
}

TEST(ValidateRoutes, MirrorToAnHttp2ClusterRefused) {
  Generation g = goodGeneration();
  for (auto& c : *g.mutable_clusters()) {
    if (c.name() == "canary") c.set_protocol(strait::v1::Cluster::HTTP2);
  }
  auto* m = route0(&g)->mutable_route()->add_request_mirror_policies();
  m->set_cluster("canary");
  m->set_runtime_percent(1);
  expectProblem(g, std::string(kR0) + ".route.request_mirror_policies[0].cluster", "is HTTP2");
}

TEST(ValidateRoutes, Pinning) {
  Generation g = goodGeneration();
  auto* wc = g.mutable_route_configs(0)->mutable_virtual_hosts(0)->mutable_routes(1)
                 ->mutable_route()->mutable_weighted_clusters();
  wc->set_hash_on_header("x-user");
  wc->set_hash_on_cookie("user");
  expectProblem(g, "virtual_hosts[0].routes[1].route.weighted_clusters.hash_on_cookie",
                "only one of hash_on_header, hash_on_cookie");
}

TEST(ValidateRoutes, Redirect) {
  Generation g = goodGeneration();
  auto* r = route0(&g)->mutable_redirect();
  r->set_scheme_redirect("ftp");
  r->set_host_redirect("a b");
  r->set_port_redirect(70000);
  r->set_path_redirect("nope");
  r->set_response_code(305);
  std::string base = std::string(kR0) + ".redirect";
  expectProblem(g, base + ".scheme_redirect", "http or https");
  expectProblem(g, base + ".host_redirect", "invalid host");
  expectProblem(g, base + ".port_redirect", "1..65535");
  expectProblem(g, base + ".path_redirect", "must start with '/'");
  expectProblem(g, base + ".response_code", "301, 302, 303, 307 or 308 (got 305)");
  g = goodGeneration();
  route0(&g)->mutable_match()->set_path("/x");
  route0(&g)->mutable_redirect()->set_prefix_rewrite("/y");
  expectProblem(g, base + ".prefix_rewrite", "only allowed with a prefix match");
  g = goodGeneration();
  route0(&g)->mutable_redirect()->set_https_redirect(true);
  EXPECT_TRUE(validateGeneration(g).ok());
}

TEST(ValidateRoutes, DirectResponse) {
  Generation g = goodGeneration();
  route0(&g)->mutable_direct_response()->set_status(99);
  expectProblem(g, std::string(kR0) + ".direct_response.status", "between 200 and 599");
  g = goodGeneration();
  route0(&g)->mutable_direct_response()->set_status(200);
  route0(&g)->mutable_direct_response()->set_body(std::string(70000, 'x'));
  expectProblem(g, std::string(kR0) + ".direct_response.body", "64 KiB");
}

TEST(ValidateRoutes, HeaderVariablesAndRemovals) {
  Generation g = goodGeneration();
  auto* h = route0(&g)->add_request_headers_to_add();
  h->set_key("x-a");
  h->set_value("%CLIENT_IP%");
  expectProblem(g, std::string(kR0) + ".request_headers_to_add[1].value", "unknown variable '%CLIENT_IP%'");
  g = goodGeneration();
  h = g.mutable_route_configs(0)->mutable_virtual_hosts(0)->add_response_headers_to_add();
  h->set_key("x-a");
  h->set_value("50%");
  expectProblem(g, "virtual_hosts[0].response_headers_to_add[0].value", "unterminated variable");
  g = goodGeneration();
  g.mutable_route_configs(0)->add_request_headers_to_remove("Host");
  expectProblem(g, "request_headers_to_remove[0]", "'host' cannot be removed");
  g = goodGeneration();
  route0(&g)->add_response_headers_to_remove("bad name");
  expectProblem(g, std::string(kR0) + ".response_headers_to_remove[0]", "invalid header name");
}

}  // namespace
}  // namespace strait::xds
