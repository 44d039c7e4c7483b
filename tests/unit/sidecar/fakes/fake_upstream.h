// A fake upstream side for unit tests of UpstreamAttempt and RouterStream: FakePool hands out
// FakeUpstreamStreams whose every call is recorded in a FakeExchange that the test keeps (it
// outlives the stream) and uses to drive the response (connect, head, body, end, failure).
// THREADS: the test thread. OWNERSHIP: streams belong to their attempt, exchanges are shared
// between the stream and the test.
#pragma once

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "sidecar/upstream/cluster_info.h"
#include "sidecar/upstream/upstream_stream.h"

namespace strait::proxy::testing {

// What one upstream exchange saw, and the handle to answer it.
struct FakeExchange {
  const EndpointInfo* endpoint = nullptr;       // where the pool was for
  http::RequestHead head;                       // as sent
  http::BodyFraming framing = http::BodyFraming::kNone;
  bool end_stream = false;                      // the head ended the request
  bool fresh = false;                           // a new connection was asked for
  std::string body;                             // body bytes sent
  bool ended = false;                           // end() was called (or end_stream)
  bool read_disabled = false;
  bool cancelled = false;
  bool destroyed = false;
  bool connecting = false;
  UpstreamStreamCallbacks* callbacks = nullptr;

  // Still able to call back: neither cancelled nor destroyed.
  bool live() const { return !cancelled && !destroyed; }
  void connect() {
    connecting = false;
    callbacks->onUpstreamConnected();
  }
  // A response head (content-length framing when `body` is given, else none), then `body`
  // and the end when `end`.
  void respond(int status, const std::string& body = "", bool end = true) {
    http::ResponseHead h;
    h.status = status;
    h.headers.add("content-length", std::to_string(body.size()));
    callbacks->onUpstreamHead(std::move(h),
                              body.empty() && end ? http::BodyFraming::kNone : http::BodyFraming::kContentLength,
                              body.size());
    if (live() && !body.empty()) callbacks->onUpstreamData(body.data(), body.size());
    if (live() && end) callbacks->onUpstreamEnd();
  }
  void fail(UpstreamFailure::Kind kind, std::string_view details = "upstream_reset_before_response_complete") {
    callbacks->onUpstreamFailure({kind, details});
  }
};

class FakeUpstreamStream final : public UpstreamStream {
 public:
  explicit FakeUpstreamStream(std::shared_ptr<FakeExchange> ex) : ex_(std::move(ex)) {}
  ~FakeUpstreamStream() override { ex_->destroyed = true; }
  void sendBody(const char* data, size_t len) override { ex_->body.append(data, len); }
  void end(const http::HeaderMap*) override { ex_->ended = true; }
  void readDisable(bool disable) override { ex_->read_disabled = disable; }
  bool connecting() const override { return ex_->connecting; }
  void cancel() override { ex_->cancelled = true; }

 private:
  std::shared_ptr<FakeExchange> ex_;
};

// One endpoint's fake pool. Every stream it makes is appended to `exchanges` (shared by all
// pools of a FakeClusterManager, in creation order).
class FakePool final : public UpstreamPool {
 public:
  FakePool(const EndpointInfo& endpoint, std::vector<std::shared_ptr<FakeExchange>>& exchanges)
      : endpoint_(endpoint), exchanges_(exchanges) {}

  Result newStream(const Request& request, UpstreamStreamCallbacks& callbacks,
                   std::unique_ptr<UpstreamStream>* out) override {
    requests++;
    if (!results.empty()) {
      Result r = results.front();
      results.pop_front();
      if (r != Result::kOk) return r;
    }
    auto ex = std::make_shared<FakeExchange>();
    ex->endpoint = &endpoint_;
    ex->head = *request.head;
    ex->framing = request.framing;
    ex->end_stream = ex->ended = request.end_stream;
    ex->fresh = request.fresh;
    ex->connecting = connecting;
    ex->callbacks = &callbacks;
    exchanges_.push_back(ex);
    *out = std::make_unique<FakeUpstreamStream>(ex);
    return Result::kOk;
  }

  std::deque<Result> results;  // what the next newStream calls return (then kOk)
  bool connecting = false;     // new streams start connecting
  int requests = 0;            // newStream calls

 private:
  const EndpointInfo& endpoint_;
  std::vector<std::shared_ptr<FakeExchange>>& exchanges_;
};

}  // namespace strait::proxy::testing
