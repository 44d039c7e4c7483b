#include "sidecar/filters/cors/cors.h"

#include <gtest/gtest.h>

#include "fake_callbacks.h"

namespace strait::filters {
namespace {

std::shared_ptr<const FilterFactory> factory(const strait::v1::Cors& config) {
  SharedState shared;
  auto f = createCorsFactory(config, {&shared, "rc/vh"});
  EXPECT_TRUE(f.ok()) << f.status();
  return *f;
}

strait::v1::Cors config() {
  strait::v1::Cors c;
  c.add_allow_origins("https://app.example");
  c.add_allow_origin_regexes("https://[a-z]+\\.example\\.org");
  c.add_allow_methods("GET");
  c.add_allow_methods("PUT");
  c.add_allow_headers("x-token");
  c.add_expose_headers("x-request-id");
  c.set_max_age_seconds(600);
  return c;
}

http::RequestHead head(const std::string& method, std::vector<std::pair<std::string, std::string>> headers) {
  http::RequestHead h;
  h.method = method;
  h.target = "/";
  for (auto& [k, v] : headers) h.headers.add(k, v);
  return h;
}

struct Outcome {
  FilterStatus status;
  testing::FakeCallbacks cb;
  http::ResponseHead response;  // the upstream response after onResponseHead
};

void runRequest(const FilterFactory& f, http::RequestHead head, Outcome* run) {
  auto filter = f.create();
  filter->setCallbacks(run->cb);
  run->status = filter->onRequestHead(head, true);
  if (run->status == FilterStatus::kContinue) {
    http::BodyFraming framing = http::BodyFraming::kNone;
    uint64_t len = 0;
    filter->onResponseHead(run->response, framing, len);
  }
}

TEST(Cors, OriginsExactAndRegex) {
  auto p = CorsPolicy::compile(config());
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE((*p)->originAllowed("https://app.example"));
  EXPECT_FALSE((*p)->originAllowed("https://app.example.evil"));
  EXPECT_TRUE((*p)->originAllowed("https://shop.example.org"));
  EXPECT_FALSE((*p)->originAllowed("https://shop.example.org.evil"));  // full match only
  EXPECT_FALSE((*p)->originAllowed("http://shop.example.org"));
}

TEST(Cors, PreflightFromAllowedOriginIsAnswered) {
  auto f = factory(config());
  Outcome run;
  runRequest(*f, head("OPTIONS", {{"origin", "https://app.example"}, {"access-control-request-method", "PUT"}}), &run);
  EXPECT_EQ(run.status, FilterStatus::kStop);
  EXPECT_EQ(run.cb.status, 204);
  EXPECT_TRUE(run.cb.end_stream);
  const auto& h = run.cb.headers;
  EXPECT_EQ(*h.get("access-control-allow-origin"), "https://app.example");
  EXPECT_EQ(*h.get("access-control-allow-methods"), "GET, PUT");
  EXPECT_EQ(*h.get("access-control-allow-headers"), "x-token");
  EXPECT_EQ(*h.get("access-control-max-age"), "600");
  EXPECT_EQ(*h.get("vary"), "origin");
  EXPECT_EQ(h.get("access-control-allow-credentials"), nullptr);
}

TEST(Cors, PreflightFromOtherOriginPassesOn) {
  auto f = factory(config());
  Outcome run;
  runRequest(*f, head("OPTIONS", {{"origin", "https://evil.example"}, {"access-control-request-method", "PUT"}}),
             &run);
  EXPECT_EQ(run.status, FilterStatus::kContinue);
  EXPECT_EQ(run.cb.status, 0);
  EXPECT_EQ(run.response.headers.get("access-control-allow-origin"), nullptr);
  EXPECT_EQ(*run.response.headers.get("vary"), "origin");
}

TEST(Cors, ActualRequestGetsHeaders) {
  strait::v1::Cors c = config();
  c.set_allow_credentials(true);
  auto f = factory(c);
  Outcome run;
  run.response.headers.add("vary", "accept-encoding");
  runRequest(*f, head("GET", {{"origin", "https://x.example.org"}}), &run);
  EXPECT_EQ(run.status, FilterStatus::kContinue);
  const auto& h = run.response.headers;
  EXPECT_EQ(*h.get("access-control-allow-origin"), "https://x.example.org");
  EXPECT_EQ(*h.get("access-control-allow-credentials"), "true");
  EXPECT_EQ(*h.get("access-control-expose-headers"), "x-request-id");
  EXPECT_EQ(*h.get("vary"), "accept-encoding, origin");
}

TEST(Cors, NoOriginNoHeaders) {
  auto f = factory(config());
  Outcome run;
  runRequest(*f, head("GET", {}), &run);
  EXPECT_EQ(run.response.headers.size(), 0u);
  // OPTIONS without Origin is not a preflight.
  Outcome run2;
  runRequest(*f, head("OPTIONS", {{"access-control-request-method", "GET"}}), &run2);
  EXPECT_EQ(run2.status, FilterStatus::kContinue);
}

TEST(Cors, WildcardOrigin) {
  strait::v1::Cors c;
  c.add_allow_origins("*");
  auto p = CorsPolicy::compile(c);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ((*p)->allowOriginValue("https://a"), "*");
  c.set_allow_credentials(true);  // "*" is not allowed with credentials: echo
  p = CorsPolicy::compile(c);
  EXPECT_EQ((*p)->allowOriginValue("https://a"), "https://a");
}

TEST(Cors, VaryMerge) {
  http::HeaderMap h;
  h.add("vary", "Origin");
  CorsPolicy::addVaryOrigin(&h);
  EXPECT_EQ(*h.get("vary"), "Origin");
  h.set("vary", "*");
  CorsPolicy::addVaryOrigin(&h);
  EXPECT_EQ(*h.get("vary"), "*");
}

}  // namespace
}  // namespace strait::filters
