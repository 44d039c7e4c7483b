// Validation of the routing-policy fields (issue 6): each refusal names its field.
#include <gtest/gtest.h>

#include "tests/unit/xds/test_config.h"
#include "xds/validate.h"

namespace strait::xds {
namespace {

using strait::v1::Generation;
using testing::GoodGeneration;

void ExpectProblem(const Generation& gen, const std::string& field, const std::string& reason) {
  absl::Status st = ValidateGeneration(gen);
  ASSERT_FALSE(st.ok()) << "expected: " << field << ": " << reason;
  std::string prefix = "route_config 'main': " + field + ": ";
  std::string msg(st.message());
  size_t at = msg.find(prefix);
  ASSERT_NE(at, std::string::npos) << msg << "\nwanted: " << prefix;
  std::string line = msg.substr(at);
  line = line.substr(0, line.find('\n'));
  EXPECT_NE(line.find(reason), std::string::npos) << line << "\nwanted: " << reason;
}

strait::v1::Route* Route0(Generation* g) {
  return g->mutable_route_configs(0)->mutable_virtual_hosts(0)->mutable_routes(0);
}

const char kR0[] = "virtual_hosts[0].routes[0]";

TEST(ValidateRoutes, NewFieldsAccepted) {
  Generation g = GoodGeneration();
  auto* r = Route0(&g);
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
  absl::Status st = ValidateGeneration(g);
  EXPECT_TRUE(st.ok()) << st;
}

TEST(ValidateRoutes, ActionIsRequired) {
  Generation g = GoodGeneration();
  Route0(&g)->clear_action();
  ExpectProblem(g, kR0, "one of route, redirect, direct_response is required");
}

TEST(ValidateRoutes, MatchFields) {
  Generation g = GoodGeneration();
  Route0(&g)->mutable_match()->add_source_cidrs("10.0.0.0/33");
  ExpectProblem(g, std::string(kR0) + ".match.source_cidrs[0]", "invalid CIDR '10.0.0.0/33'");
  g = GoodGeneration();
  Route0(&g)->mutable_match()->add_source_cidrs("example.com/8");
  ExpectProblem(g, std::string(kR0) + ".match.source_cidrs[0]", "invalid CIDR");
  g = GoodGeneration();
  Route0(&g)->mutable_match()->add_methods("GE T");
  ExpectProblem(g, std::string(kR0) + ".match.methods[0]", "invalid method");
  g = GoodGeneration();
  Route0(&g)->mutable_match()->add_query_parameters()->set_safe_regex_match("(");
  ExpectProblem(g, std::string(kR0) + ".match.query_parameters[0].name", "must not be empty");
  ExpectProblem(g, std::string(kR0) + ".match.query_parameters[0].safe_regex_match", "invalid regex");
}

TEST(ValidateRoutes, Rewrites) {
  Generation g = GoodGeneration();
  Route0(&g)->mutable_route()->mutable_regex_rewrite()->set_pattern("^/(a)$");
  Route0(&g)->mutable_route()->mutable_regex_rewrite()->set_substitution("/\\2");
  ExpectProblem(g, std::string(kR0) + ".route.regex_rewrite.substitution", "requests 2 matches");
  ExpectProblem(g, std::string(kR0) + ".route.regex_rewrite", "only one of prefix_rewrite, regex_rewrite");
  g = GoodGeneration();
  Route0(&g)->mutable_route()->mutable_regex_rewrite()->set_pattern("(");
  ExpectProblem(g, std::string(kR0) + ".route.regex_rewrite.pattern", "invalid regex");
  g = GoodGeneration();
  Route0(&g)->mutable_route()->set_host_rewrite_literal("a/b");
  ExpectProblem(g, std::string(kR0) + ".route.host_rewrite_literal", "host[:port]");
}

TEST(ValidateRoutes, Mirrors) {
  Generation g = GoodGeneration();
  auto* m = Route0(&g)->mutable_route()->add_request_mirror_policies();
  m->set_cluster("nope");
  m->set_runtime_percent(100.5);
  m->set_max_body_bytes(17u * 1024 * 1024);
  std::string base = std::string(kR0) + ".route.request_mirror_policies[0]";
  ExpectProblem(g, base + ".cluster", "unknown cluster 'nope'");
  ExpectProblem(g, base + ".runtime_percent", "between 0 and 100");
  ExpectProblem(g, base + ".max_body_bytes", "16 MiB");
}

TEST(ValidateRoutes, MirrorToAnHttp2ClusterRefused) {
  Generation g = GoodGeneration();
  for (auto& c : *g.mutable_clusters()) {
    if (c.name() == "canary") c.set_protocol(strait::v1::Cluster::HTTP2);
  }
  auto* m = Route0(&g)->mutable_route()->add_request_mirror_policies();
  m->set_cluster("canary");
  m->set_runtime_percent(1);
  ExpectProblem(g, std::string(kR0) + ".route.request_mirror_policies[0].cluster", "is HTTP2");
}

TEST(ValidateRoutes, Pinning) {
  Generation g = GoodGeneration();
  auto* wc = g.mutable_route_configs(0)->mutable_virtual_hosts(0)->mutable_routes(1)
                 ->mutable_route()->mutable_weighted_clusters();
  wc->set_hash_on_header("x-user");
  wc->set_hash_on_cookie("user");
  ExpectProblem(g, "virtual_hosts[0].routes[1].route.weighted_clusters.hash_on_cookie",
                "only one of hash_on_header, hash_on_cookie");
}

TEST(ValidateRoutes, Redirect) {
  Generation g = GoodGeneration();
  auto* r = Route0(&g)->mutable_redirect();
  r->set_scheme_redirect("ftp");
  r->set_host_redirect("a b");
  r->set_port_redirect(70000);
  r->set_path_redirect("nope");
  r->set_response_code(305);
  std::string base = std::string(kR0) + ".redirect";
  ExpectProblem(g, base + ".scheme_redirect", "http or https");
  ExpectProblem(g, base + ".host_redirect", "invalid host");
  ExpectProblem(g, base + ".port_redirect", "1..65535");
  ExpectProblem(g, base + ".path_redirect", "must start with '/'");
  ExpectProblem(g, base + ".response_code", "301, 302, 303, 307 or 308 (got 305)");
  g = GoodGeneration();
  Route0(&g)->mutable_match()->set_path("/x");
  Route0(&g)->mutable_redirect()->set_prefix_rewrite("/y");
  ExpectProblem(g, base + ".prefix_rewrite", "only allowed with a prefix match");
  g = GoodGeneration();
  Route0(&g)->mutable_redirect()->set_https_redirect(true);
  EXPECT_TRUE(ValidateGeneration(g).ok());
}

TEST(ValidateRoutes, DirectResponse) {
  Generation g = GoodGeneration();
  Route0(&g)->mutable_direct_response()->set_status(99);
  ExpectProblem(g, std::string(kR0) + ".direct_response.status", "between 200 and 599");
  g = GoodGeneration();
  Route0(&g)->mutable_direct_response()->set_status(200);
  Route0(&g)->mutable_direct_response()->set_body(std::string(70000, 'x'));
  ExpectProblem(g, std::string(kR0) + ".direct_response.body", "64 KiB");
}

TEST(ValidateRoutes, HeaderVariablesAndRemovals) {
  Generation g = GoodGeneration();
  auto* h = Route0(&g)->add_request_headers_to_add();
  h->set_key("x-a");
  h->set_value("%CLIENT_IP%");
  ExpectProblem(g, std::string(kR0) + ".request_headers_to_add[1].value", "unknown variable '%CLIENT_IP%'");
  g = GoodGeneration();
  h = g.mutable_route_configs(0)->mutable_virtual_hosts(0)->add_response_headers_to_add();
  h->set_key("x-a");
  h->set_value("50%");
  ExpectProblem(g, "virtual_hosts[0].response_headers_to_add[0].value", "unterminated variable");
  g = GoodGeneration();
  g.mutable_route_configs(0)->add_request_headers_to_remove("Host");
  ExpectProblem(g, "request_headers_to_remove[0]", "'host' cannot be removed");
  g = GoodGeneration();
  Route0(&g)->add_response_headers_to_remove("bad name");
  ExpectProblem(g, std::string(kR0) + ".response_headers_to_remove[0]", "invalid header name");
}

}  // namespace
}  // namespace strait::xds
