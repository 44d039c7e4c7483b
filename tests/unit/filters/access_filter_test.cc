// The access_control filter driven through its factory: 403, 413 (length and streamed), 431.
#include <gtest/gtest.h>

#include "fake_callbacks.h"
#include "google/protobuf/text_format.h"
#include "sidecar/filters/access_control/access_control.h"

namespace strait::filters {
namespace {

std::shared_ptr<const FilterFactory> factory(const std::string& text) {
  strait::v1::AccessControl config;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &config)) << text;
  SharedState shared;
  auto f = createAccessControlFactory(config, {&shared, "rc/vh/r"});
  EXPECT_TRUE(f.ok()) << f.status();
  return *f;
}

TEST(AccessControlFilter, DeniedRequestGets403NamingTheRule) {
  auto f = factory(R"(rules { name: "no-delete" action: DENY methods: "DELETE" })");
  testing::FakeCallbacks cb;
  cb.info.client_ip = "127.0.0.1";
  auto filter = f->create();
  filter->setCallbacks(cb);
  http::RequestHead head;
  head.method = "DELETE";
  head.target = "/x";
  EXPECT_EQ(filter->onRequestHead(head, true), FilterStatus::kStop);
  EXPECT_EQ(cb.status, 403);
  EXPECT_EQ(cb.body, "access denied by rule 'no-delete'\n");
  EXPECT_EQ(cb.details, "access_denied:no-delete");
}

TEST(AccessControlFilter, BodyLimitByLengthAndByStream) {
  auto f = factory("max_request_body_bytes: 10");
  http::RequestHead head;
  head.method = "POST";
  head.target = "/";
  head.headers.add("content-length", "11");
  testing::FakeCallbacks cb;
  auto filter = f->create();
  filter->setCallbacks(cb);
  EXPECT_EQ(filter->onRequestHead(head, false), FilterStatus::kStop);
  EXPECT_EQ(cb.status, 413);

  head.headers.clear();  // chunked
  testing::FakeCallbacks cb2;
  filter = f->create();
  filter->setCallbacks(cb2);
  EXPECT_EQ(filter->onRequestHead(head, false), FilterStatus::kContinue);
  EXPECT_EQ(filter->onRequestData("123456", 6), FilterStatus::kContinue);
  EXPECT_EQ(filter->onRequestData("7890", 4), FilterStatus::kContinue);  // exactly 10
  EXPECT_EQ(cb2.status, 0);
  EXPECT_EQ(filter->onRequestData("!", 1), FilterStatus::kStop);
  EXPECT_EQ(cb2.status, 413);
  EXPECT_EQ(cb2.details, "request_body_too_large");
}

TEST(AccessControlFilter, BodyLimitNoLongerAppliesOnceTheResponseStarted) {
  auto f = factory("max_request_body_bytes: 4");
  http::RequestHead head;
  head.method = "POST";
  testing::FakeCallbacks cb;
  auto filter = f->create();
  filter->setCallbacks(cb);
  EXPECT_EQ(filter->onRequestHead(head, false), FilterStatus::kContinue);
  http::ResponseHead response;
  http::BodyFraming framing = http::BodyFraming::kChunked;
  uint64_t length = 0;
  filter->onResponseHead(response, framing, length);
  EXPECT_EQ(filter->onRequestData("123456", 6), FilterStatus::kContinue);
  EXPECT_EQ(cb.status, 0);
}

TEST(AccessControlFilter, HeaderLimit) {
  auto f = factory("max_request_headers_bytes: 200");
  http::RequestHead head;
  head.method = "GET";
  head.target = "/";
  head.headers.add("x-small", "1");
  testing::FakeCallbacks cb;
  auto filter = f->create();
  filter->setCallbacks(cb);
  EXPECT_EQ(filter->onRequestHead(head, true), FilterStatus::kContinue);
  head.headers.add("x-big", std::string(150, 'a'));
  filter = f->create();
  filter->setCallbacks(cb);
  EXPECT_EQ(filter->onRequestHead(head, true), FilterStatus::kStop);
  EXPECT_EQ(cb.status, 431);
}

TEST(AccessControlFilter, NothingToDoMeansNoFilter) {
  EXPECT_EQ(factory("")->create(), nullptr);
  EXPECT_NE(factory("default_action: DENY")->create(), nullptr);
}

}  // namespace
}  // namespace strait::filters
