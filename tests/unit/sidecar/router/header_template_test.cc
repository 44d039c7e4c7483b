#include "sidecar/router/header_template.h"

#include <gtest/gtest.h>

namespace strait::proxy {
namespace {

HeaderVars vars() {
  HeaderVars v;
  v.client_ip = "10.1.2.3";
  v.request_id = "rid-1";
  v.peer_identity = "spiffe://x/sa/web";
  v.route_name = "r1";
  v.upstream_host = "127.0.0.1:8080";
  return v;
}

TEST(HeaderTemplate, Variables) {
  auto t = HeaderTemplate::compile("%DOWNSTREAM_REMOTE_ADDRESS%|%REQ_ID%|%PEER_IDENTITY%|%ROUTE_NAME%|%UPSTREAM_HOST%");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->render(vars()), "10.1.2.3|rid-1|spiffe://x/sa/web|r1|127.0.0.1:8080");
  EXPECT_TRUE(t->usesUpstreamHost());
}

TEST(HeaderTemplate, LiteralsAndEscapes) {
  auto t = HeaderTemplate::compile("100%% of %ROUTE_NAME%!");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->render(vars()), "100% of r1!");
  EXPECT_FALSE(t->usesUpstreamHost());
  auto plain = HeaderTemplate::compile("plain");
  EXPECT_EQ(plain->render(vars()), "plain");
  auto empty = HeaderTemplate::compile("");
  EXPECT_EQ(empty->render(vars()), "");
}

TEST(HeaderTemplate, UnknownOrUnterminatedRejected) {
  auto t = HeaderTemplate::compile("%NOPE%");
  ASSERT_FALSE(t.ok());
  EXPECT_NE(std::string(t.status().message()).find("unknown variable '%NOPE%'"), std::string::npos);
  EXPECT_FALSE(HeaderTemplate::compile("50%").ok());
}

HeaderToAdd add(std::string key, std::string value, HeaderToAdd::Action a) {
  return {std::move(key), *HeaderTemplate::compile(value), a};
}

TEST(HeaderMutations, AddSetAppendRemove) {
  http::HeaderMap h;
  h.add("x-a", "1");
  h.add("x-a", "2");
  h.add("x-b", "b");
  h.add("x-gone", "g");
  HeaderMutations m;
  m.remove = {"x-gone"};
  m.add.push_back(add("x-a", "3", HeaderToAdd::Action::kSet));
  m.add.push_back(add("x-b", "c", HeaderToAdd::Action::kAppend));
  m.add.push_back(add("x-c", "new", HeaderToAdd::Action::kAppend));
  m.add.push_back(add("x-d", "d1", HeaderToAdd::Action::kAdd));
  m.add.push_back(add("x-d", "d2", HeaderToAdd::Action::kAdd));
  m.add.push_back(add("x-b", "no", HeaderToAdd::Action::kAddIfAbsent));
  m.add.push_back(add("x-e", "%ROUTE_NAME%", HeaderToAdd::Action::kAddIfAbsent));
  m.apply(h, vars());
  EXPECT_EQ(h.count("x-a"), 1u);
  EXPECT_EQ(*h.get("x-a"), "3");
  EXPECT_EQ(*h.get("x-b"), "b, c");
  EXPECT_EQ(*h.get("x-c"), "new");
  EXPECT_EQ(h.count("x-d"), 2u);
  EXPECT_EQ(h.get("x-gone"), nullptr);
  EXPECT_EQ(*h.get("x-e"), "r1");
}

TEST(HeaderMutations, UpstreamHostSplit) {
  HeaderMutations m;
  m.add.push_back(add("x-up", "%UPSTREAM_HOST%", HeaderToAdd::Action::kSet));
  m.add.push_back(add("x-rt", "%ROUTE_NAME%", HeaderToAdd::Action::kSet));
  EXPECT_TRUE(m.usesUpstreamHost());
  http::HeaderMap h;
  m.apply(h, vars(), /*skip_upstream_host=*/true);
  EXPECT_EQ(h.get("x-up"), nullptr);
  EXPECT_EQ(*h.get("x-rt"), "r1");
  m.apply(h, vars(), false, /*only_upstream_host=*/true);
  EXPECT_EQ(*h.get("x-up"), "127.0.0.1:8080");
}

}  // namespace
}  // namespace strait::proxy
