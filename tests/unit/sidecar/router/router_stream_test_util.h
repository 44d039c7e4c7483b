// The fixture of the RouterStream unit tests: one stream on a FakeWorkerContext (fake pools),
// answering into a FakeSink, on route "r" to cluster "c".
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "sidecar/router/router_stream.h"
#include "tests/unit/sidecar/fakes/fake_sink.h"
#include "tests/unit/sidecar/fakes/fake_worker_context.h"
#include "tests/unit/sidecar/fakes/test_config.h"

namespace strait::proxy::testing {

class RouterStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    route_ = testRoute("c");
    useCluster(testCluster("c", {1, 1}));
  }
  void TearDown() override {
    stream_.reset();
    ctx_.runPending();
  }
  void useCluster(std::shared_ptr<const ClusterInfo> cluster) {
    cluster_ = std::move(cluster);
    ctx_.setSnapshot(testSnapshot({cluster_}));
  }
  void retryOn(uint32_t on, uint32_t num_retries = 1) {
    route_->retry.retry_on = on;
    route_->retry.num_retries = num_retries;
  }
  // Starts a request; a bodiless one is complete at once.
  void start(http::BodyFraming framing = http::BodyFraming::kNone, FakeSink* sink = nullptr,
             std::unique_ptr<RouterStream>* out = nullptr) {
    if (!out) out = &stream_;
    *out = std::make_unique<RouterStream>(ctx_, sink ? *sink : sink_, ctx_.snapshot(), *route_);
    (*out)->mutableStreamInfo().client_ip = "10.1.2.3";
    http::RequestHead head;
    head.method = framing == http::BodyFraming::kNone ? "GET" : "POST";
    head.target = "/x";
    head.headers.add("host", "svc");
    (*out)->start(std::move(head), framing, 0, RequestInfo{"http"});
    if (framing == http::BodyFraming::kNone) (*out)->onRequestComplete();
  }
  void body(const std::string& data) { stream_->onRequestBody(data.data(), data.size()); }
  // The i-th upstream exchange; fails the test if it was not made.
  FakeExchange& ex(size_t i) {
    FakeExchange* e = ctx_.exchange(i);
    if (e == nullptr) {
      ADD_FAILURE() << "no exchange " << i;
      static FakeExchange none;
      return none;
    }
    return *e;
  }
  // Runs the loop until the i-th exchange exists (a retry after its backoff).
  bool waitExchange(size_t i) { return ctx_.runUntil([&] { return ctx_.exchangeCount() > i; }); }
  bool waitResponse() { return ctx_.runUntil([&] { return sink_.complete || sink_.reset; }); }
  size_t endpointIndex(const FakeExchange& e) const { return static_cast<size_t>(e.endpoint - &cluster_->endpoints[0]); }
  ClusterState& clusterState() { return *cluster_->state; }
  const http::StreamInfo& info() const { return stream_->streamInfo(); }

  FakeWorkerContext ctx_;
  std::unique_ptr<CompiledRoute> route_;
  std::shared_ptr<const ClusterInfo> cluster_;
  FakeSink sink_;
  std::unique_ptr<RouterStream> stream_;
};

}  // namespace strait::proxy::testing
