// Route matching and actions added by the routing-policy issue: case-insensitive paths,
// query parameters, methods, client CIDRs, rewrites, pinning and redirects.
#include <gtest/gtest.h>

#include <random>

#include "absl/strings/str_cat.h"
#include <google/protobuf/util/json_util.h>

#include "sidecar/router/mirror_request.h"
#include "sidecar/router/redirect.h"
#include "sidecar/router/route_table.h"

namespace strait::proxy {
namespace {

std::unique_ptr<RouteTable> build(const std::string& routes_json, const std::string& extra = "") {
  strait::v1::RouteConfiguration rc;
  std::string json = R"({"name": "t", )" + extra + R"("virtual_hosts": [{"name": "v", "domains": ["*"], "routes": )" +
                     routes_json + "}]}";
  auto s = google::protobuf::util::JsonStringToMessage(json, &rc);
  EXPECT_TRUE(s.ok()) << s.ToString() << json;
  auto t = RouteTable::build(rc);
  EXPECT_TRUE(t.ok()) << t.status();
  return t.ok() ? std::move(*t) : nullptr;
}

struct Req {
  std::string path = "/";
  std::string query;
  std::string method = "GET";
  std::string client = "127.0.0.1";
  http::HeaderMap headers;
  uint32_t port = 0;
};

std::string nameFor(const RouteTable& t, const Req& r) {
  auto ip = IpBytes::parse(r.client);
  RouteRequest rr;
  rr.host = "h";
  rr.path = r.path;
  rr.query = r.query;
  rr.method = r.method;
  rr.headers = &r.headers;
  rr.client = ip ? &*ip : nullptr;
  rr.destination_port = r.port;
  const CompiledRoute* route = t.route(rr);
  return route ? route->name : "<none>";
}

Req path(std::string p) {
  Req r;
  r.path = std::move(p);
  return r;
}

TEST(RouteMatch, CaseInsensitivePaths) {
  auto t = build(R"([
    {"name": "exact", "match": {"path": "/Health", "case_insensitive": true}, "route": {"cluster": "c"}},
    {"name": "prefix", "match": {"prefix": "/API/", "case_insensitive": true}, "route": {"cluster": "c"}},
    {"name": "regex", "match": {"safe_regex": "/v[0-9]+/ITEMS", "case_insensitive": true}, "route": {"cluster": "c"}},
    {"name": "sensitive", "match": {"prefix": "/Only"}, "route": {"cluster": "c"}}])");
  EXPECT_EQ(nameFor(*t, path("/health")), "exact");
  EXPECT_EQ(nameFor(*t, path("/HEALTH")), "exact");
  EXPECT_EQ(nameFor(*t, path("/healthz")), "<none>");
  EXPECT_EQ(nameFor(*t, path("/api/x")), "prefix");
  EXPECT_EQ(nameFor(*t, path("/Api/x")), "prefix");
  EXPECT_EQ(nameFor(*t, path("/V2/items")), "regex");
  EXPECT_EQ(nameFor(*t, path("/Only/x")), "sensitive");
  EXPECT_EQ(nameFor(*t, path("/only/x")), "<none>");
}

TEST(RouteMatch, QueryParameters) {
  auto t = build(R"([
    {"name": "exact", "match": {"prefix": "/", "query_parameters": [{"name": "v", "exact_match": "a b"}]}, "route": {"cluster": "c"}},
    {"name": "regex", "match": {"prefix": "/", "query_parameters": [{"name": "id", "safe_regex_match": "[0-9]+"}]}, "route": {"cluster": "c"}},
    {"name": "present", "match": {"prefix": "/", "query_parameters": [{"name": "debug", "present_match": true}]}, "route": {"cluster": "c"}},
    {"name": "not-absent", "match": {"prefix": "/", "query_parameters": [{"name": "x", "present_match": false, "invert_match": true}]}, "route": {"cluster": "c"}},
    {"name": "rest", "match": {"prefix": "/"}, "route": {"cluster": "c"}}])");
  auto q = [](std::string query) {
    Req r;
    r.query = std::move(query);
    return r;
  };
  EXPECT_EQ(nameFor(*t, q("v=a%20b")), "exact");        // value decoded
  EXPECT_EQ(nameFor(*t, q("%76=a%20b")), "exact");      // name decoded too
  EXPECT_EQ(nameFor(*t, q("v=a+b")), "rest");           // "+" is not a space
  EXPECT_EQ(nameFor(*t, q("id=42")), "regex");
  EXPECT_EQ(nameFor(*t, q("id=42x")), "rest");          // full match
  EXPECT_EQ(nameFor(*t, q("id=x&id=42")), "rest");      // the first one counts
  EXPECT_EQ(nameFor(*t, q("a=1&debug")), "present");    // no "=": empty value, present
  EXPECT_EQ(nameFor(*t, q("x=")), "not-absent");
  EXPECT_EQ(nameFor(*t, q("")), "rest");
}

TEST(RouteMatch, MethodsHeadersAbsentInverted) {
  auto t = build(R"([
    {"name": "write", "match": {"prefix": "/", "methods": ["POST", "PUT"]}, "route": {"cluster": "c"}},
    {"name": "no-auth", "match": {"prefix": "/", "headers": [{"name": "authorization", "present_match": false}]}, "route": {"cluster": "c"}},
    {"name": "not-beta", "match": {"prefix": "/", "headers": [{"name": "x-tier", "exact_match": "beta", "invert_match": true}]}, "route": {"cluster": "c"}},
    {"name": "rest", "match": {"prefix": "/"}, "route": {"cluster": "c"}}])");
  Req r;
  r.method = "PUT";
  EXPECT_EQ(nameFor(*t, r), "write");
  r.method = "GET";
  EXPECT_EQ(nameFor(*t, r), "no-auth");
  r.headers.add("authorization", "x");
  EXPECT_EQ(nameFor(*t, r), "not-beta");
  r.headers.add("x-tier", "beta");
  EXPECT_EQ(nameFor(*t, r), "rest");
}

TEST(RouteMatch, SourceCidrs) {
  auto t = build(R"([
    {"name": "v4", "match": {"prefix": "/", "source_cidrs": ["10.0.0.0/8", "192.168.1.7"]}, "route": {"cluster": "c"}},
    {"name": "v6", "match": {"prefix": "/", "source_cidrs": ["fd00::/8"]}, "route": {"cluster": "c"}},
    {"name": "rest", "match": {"prefix": "/"}, "route": {"cluster": "c"}}])");
  ASSERT_TRUE(t->usesSourceCidrs());
  auto from = [](std::string ip) {
    Req r;
    r.client = std::move(ip);
    return r;
  };
  EXPECT_EQ(nameFor(*t, from("10.200.3.4")), "v4");
  EXPECT_EQ(nameFor(*t, from("11.0.0.1")), "rest");
  EXPECT_EQ(nameFor(*t, from("192.168.1.7")), "v4");
  EXPECT_EQ(nameFor(*t, from("192.168.1.8")), "rest");
  EXPECT_EQ(nameFor(*t, from("fd12::1")), "v6");
  EXPECT_EQ(nameFor(*t, from("fe80::1")), "rest");
  EXPECT_EQ(nameFor(*t, from("not-an-ip")), "rest");
}

// The port the client connected to (an intercepted connection's original one): one name,
// several ports, several clusters.
TEST(RouteMatch, DestinationPort) {
  auto t = build(R"([
    {"name": "grpc", "match": {"prefix": "/", "destination_port": 50051}, "route": {"cluster": "c"}},
    {"name": "rest", "match": {"prefix": "/"}, "route": {"cluster": "c"}}])");
  auto to = [](uint32_t port) {
    Req r;
    r.port = port;
    return r;
  };
  EXPECT_EQ(nameFor(*t, to(50051)), "grpc");
  EXPECT_EQ(nameFor(*t, to(80)), "rest");
  EXPECT_EQ(nameFor(*t, to(0)), "rest");  // unknown: no port-specific route
}

TEST(CidrRange, Parse) {
  EXPECT_TRUE(CidrRange::parse("0.0.0.0/0").ok());
  EXPECT_TRUE(CidrRange::parse("::/0").ok());
  EXPECT_FALSE(CidrRange::parse("1.2.3.4/33").ok());
  EXPECT_FALSE(CidrRange::parse("1.2.3.4/").ok());
  EXPECT_FALSE(CidrRange::parse("::1/129").ok());
  auto all4 = CidrRange::parse("0.0.0.0/0");
  EXPECT_TRUE(all4->contains(*IpBytes::parse("8.8.8.8")));
  EXPECT_FALSE(all4->contains(*IpBytes::parse("::1")));  // v4 ranges hold only v4 addresses
}

TEST(RouteRewrite, RegexWithCaptureGroups) {
  auto t = build(R"([{"name": "r", "match": {"prefix": "/"}, "route": {"cluster": "c",
      "regex_rewrite": {"pattern": "^/v1/(\\w+)/(\\d+)$", "substitution": "/\\2/\\1"}}}])");
  const CompiledRoute* r = t->route("h", "/v1/users/42", {});
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->rewritePath("/v1/users/42"), "/42/users");
  EXPECT_EQ(r->rewritePath("/other"), "/other");
}

TEST(RouteRewrite, RewrittenPathIsNormalisedAgain) {
  auto t = build(R"([{"name": "r", "match": {"prefix": "/static/"}, "route": {"cluster": "c", "prefix_rewrite": "/files/"}},
                    {"name": "g", "match": {"prefix": "/"}, "route": {"cluster": "c",
                     "regex_rewrite": {"pattern": "^/x(.*)$", "substitution": "/base/..\\1"}}}])");
  const CompiledRoute* r = t->route("h", "/static/a", {});
  EXPECT_EQ(r->rewritePath("/static/a/b"), "/files/a/b");
  const CompiledRoute* g = t->route("h", "/x/secret", {});
  EXPECT_EQ(g->name, "g");
  EXPECT_EQ(g->rewritePath("/x/secret"), "/secret");  // ".." from the substitution resolved
}

TEST(RouteSplit, PinnedByHeaderOrCookie) {
  auto t = build(R"([
    {"name": "h", "match": {"prefix": "/h"}, "route": {"weighted_clusters": {"clusters": [
      {"name": "a", "weight": 50}, {"name": "b", "weight": 50}], "hash_on_header": "X-User"}}},
    {"name": "c", "match": {"prefix": "/c"}, "route": {"weighted_clusters": {"clusters": [
      {"name": "a", "weight": 50}, {"name": "b", "weight": 50}], "hash_on_cookie": "uid"}}}])");
  const CompiledRoute* h = t->route("h", "/h", {});
  const CompiledRoute* c = t->route("h", "/c", {});
  int a_header = 0, a_cookie = 0;
  for (int user = 0; user < 200; user++) {
    http::HeaderMap hh;
    hh.add("x-user", "user-" + std::to_string(user));
    hh.add("cookie", "theme=dark; uid=user-" + std::to_string(user));
    const std::string& first = h->pickCluster(user * 7919ull, &hh);
    const std::string& cfirst = c->pickCluster(user * 7919ull, &hh);
    for (uint64_t rnd = 1; rnd < 20; rnd++) {  // whatever the random value: the same side
      EXPECT_EQ(h->pickCluster(rnd, &hh), first);
      EXPECT_EQ(c->pickCluster(rnd, &hh), cfirst);
    }
    a_header += first == "a";
    a_cookie += cfirst == "a";
  }
  EXPECT_GT(a_header, 60);  // users spread over both sides
  EXPECT_LT(a_header, 140);
  EXPECT_GT(a_cookie, 60);
  EXPECT_LT(a_cookie, 140);
  http::HeaderMap none;  // no key: random
  int a = 0;
  for (uint64_t i = 0; i < 100; i++) a += h->pickCluster(i, &none) == "a";
  EXPECT_EQ(a, 50);
}

std::string location(const std::string& redirect_json, const std::string& path, const std::string& query,
                     const std::string& host = "example.com:8080", const std::string& prefix = "/old/") {
  auto t = build(R"([{"name": "r", "match": {"prefix": ")" + prefix + R"("}, "redirect": )" + redirect_json + "}]");
  const CompiledRoute* r = t->route("h", path, {});
  if (r == nullptr) return "<none>";
  RedirectRequest rr{"http", host, path, query};
  return redirectLocation(*r, rr);
}

TEST(Redirect, Location) {
  EXPECT_EQ(location(R"({"https_redirect": true})", "/old/a", "q=1"), "https://example.com/old/a?q=1");
  EXPECT_EQ(location(R"({"https_redirect": true, "port_redirect": 8443})", "/old/a", ""),
            "https://example.com:8443/old/a");
  EXPECT_EQ(location(R"({"host_redirect": "new.example.org"})", "/old/a", "q=1"),
            "http://new.example.org:8080/old/a?q=1");
  EXPECT_EQ(location(R"({"prefix_rewrite": "/new/", "strip_query": true})", "/old/a/b", "q=1"),
            "http://example.com:8080/new/a/b");
  EXPECT_EQ(location(R"({"path_redirect": "/landing?from=old"})", "/old/a", "q=1"),
            "http://example.com:8080/landing?from=old");
  EXPECT_EQ(location(R"({"port_redirect": 80})", "/old/x", "", "[::1]:8080"), "http://[::1]/old/x");
  EXPECT_EQ(location(R"({"scheme_redirect": "https", "host_redirect": "a.b"})", "/old/", "", "x"), "https://a.b/old/");
}

TEST(Redirect, StatusAndDirectResponseCompiled) {
  auto t = build(R"([
    {"name": "r", "match": {"prefix": "/r"}, "redirect": {"path_redirect": "/x", "response_code": 308}},
    {"name": "d", "match": {"prefix": "/d"}, "direct_response": {"status": 418, "body": "teapot"}}])");
  const CompiledRoute* r = t->route("h", "/r", {});
  EXPECT_EQ(r->action, CompiledRoute::Action::kRedirect);
  EXPECT_EQ(r->redirect.status, 308);
  const CompiledRoute* d = t->route("h", "/d", {});
  EXPECT_EQ(d->action, CompiledRoute::Action::kDirectResponse);
  EXPECT_EQ(d->direct_status, 418);
  EXPECT_EQ(d->direct_body, "teapot");
}

TEST(RouteHeaders, LevelsMergeRouteVhostConfig) {
  strait::v1::RouteConfiguration rc;
  auto s = google::protobuf::util::JsonStringToMessage(R"({"name": "t",
    "request_headers_to_add": [{"key": "x-level", "value": "config", "action": "ADD"}],
    "response_headers_to_remove": ["server"],
    "virtual_hosts": [{"name": "v", "domains": ["*"],
      "request_headers_to_add": [{"key": "x-level", "value": "vhost", "action": "ADD"}],
      "routes": [{"name": "r1", "match": {"prefix": "/"}, "route": {"cluster": "c"},
        "request_headers_to_add": [{"key": "x-level", "value": "%ROUTE_NAME%", "action": "ADD"}],
        "request_headers_to_remove": ["cookie"]}]}]})", &rc);
  ASSERT_TRUE(s.ok()) << s.ToString();
  auto t = RouteTable::build(rc);
  ASSERT_TRUE(t.ok()) << t.status();
  const CompiledRoute* r = (*t)->route("h", "/", {});
  http::HeaderMap h;
  h.add("cookie", "a=b");
  HeaderVars v;
  v.route_name = r->name;
  r->request_headers.apply(h, v);
  ASSERT_EQ(h.count("x-level"), 3u);
  EXPECT_EQ(h.fields()[0].value, "r1");
  EXPECT_EQ(h.fields()[1].value, "vhost");
  EXPECT_EQ(h.fields()[2].value, "config");
  EXPECT_EQ(h.get("cookie"), nullptr);
  EXPECT_EQ(r->response_headers.remove, std::vector<std::string>{"server"});
}

}  // namespace
}  // namespace strait::proxy

namespace strait::proxy {
namespace {

// The first-segment index must give exactly what a linear first-match scan gives.
TEST(RouteIndex, SameAnswerAsALinearScan) {
  const char* kPatterns[][2] = {
      {"prefix", "/a/"}, {"prefix", "/"}, {"path", "/a/b"}, {"safe_regex", "/b/[0-9]+"}, {"prefix", "/b"},
      {"safe_regex", "[/]c/.*"}, {"path", "/c"}, {"prefix", "/c/"}, {"safe_regex", "/a/(x|y)z"}, {"path", "/"},
      {"prefix", "/A/"}, {"safe_regex", "/(?i)d/e"}, {"prefix", "/d/"}};
  std::mt19937 rng(7);
  const char* kPaths[] = {"/", "/a", "/a/", "/a/b", "/a/xz", "/b", "/b/1", "/bb", "/c", "/c/", "/c/q",
                          "/d/e", "/D/e", "/A/x", "*", "/zz/top"};
  for (int round = 0; round < 200; round++) {
    std::string json = "[";
    std::vector<std::pair<std::string, std::string>> chosen;
    int n = 1 + static_cast<int>(rng() % 10);
    for (int i = 0; i < n; i++) {
      const auto& p = kPatterns[rng() % (sizeof(kPatterns) / sizeof(kPatterns[0]))];
      bool ci = rng() % 4 == 0;
      bool header = rng() % 4 == 0;
      absl::StrAppend(&json, i ? "," : "", R"({"name": "r)", i, R"(", "match": {")", p[0], R"(": ")", p[1], "\"",
                      ci ? R"(, "case_insensitive": true)" : "",
                      header ? R"(, "headers": [{"name": "x-h"}])" : "", R"(}, "route": {"cluster": "c"}})");
    }
    json += "]";
    auto t = build(json);
    ASSERT_NE(t, nullptr) << json;
    for (const char* path : kPaths) {
      for (bool with_header : {false, true}) {
        Req r;
        r.path = path;
        if (with_header) r.headers.add("x-h", "1");
        RouteRequest rr;
        rr.host = "h";
        rr.path = r.path;
        rr.method = "GET";
        rr.headers = &r.headers;
        const CompiledRoute* got = t->route(rr);
        const CompiledRoute* linear = t->routeLinear(rr);  // the reference
        EXPECT_EQ(got ? got->name : "<none>", linear ? linear->name : "<none>")
            << json << " path " << path << " header " << with_header;
      }
    }
  }
}

}  // namespace
}  // namespace strait::proxy

namespace strait::proxy {
namespace {

TEST(MirrorRequest, ShadowHost) {
  EXPECT_EQ(MirrorRequest::shadowHost("svc.local"), "svc.local-shadow");
  EXPECT_EQ(MirrorRequest::shadowHost("svc.local:8080"), "svc.local-shadow:8080");
  EXPECT_EQ(MirrorRequest::shadowHost("[::1]:80"), "[::1]-shadow:80");
  EXPECT_EQ(MirrorRequest::shadowHost(""), "-shadow");
}

TEST(LocalRouteResponse, RedirectAndDirect) {
  auto t = build(R"([
    {"name": "r", "match": {"prefix": "/r"}, "redirect": {"https_redirect": true, "response_code": 307}},
    {"name": "d", "match": {"prefix": "/d"}, "direct_response": {"status": 503, "body": "later"}}])");
  http::RequestHead head;
  head.method = "GET";
  head.target = "/r/x?y=1";
  head.headers.add("host", "svc:80");
  LocalRouteResponse r = localRouteResponse(*t->route("h", "/r/x", {}), head, "http");
  EXPECT_EQ(r.head.status, 307);
  EXPECT_EQ(*r.head.headers.get("location"), "https://svc/r/x?y=1");
  EXPECT_EQ(*r.head.headers.get("content-length"), "0");
  head.target = "/d";
  LocalRouteResponse d = localRouteResponse(*t->route("h", "/d", {}), head, "http");
  EXPECT_EQ(d.head.status, 503);
  EXPECT_EQ(d.body, "later");
  EXPECT_EQ(*d.head.headers.get("content-length"), "5");
  EXPECT_EQ(*d.head.headers.get("content-type"), "text/plain");
}

}  // namespace
}  // namespace strait::proxy
