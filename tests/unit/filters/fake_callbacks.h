// A FilterCallbacks that records what a filter answers, for driving filters in unit tests.
#pragma once

#include <string>

#include "sidecar/event/dispatcher.h"
#include "sidecar/filters/filter.h"

namespace strait::filters::testing {

class FakeCallbacks : public FilterCallbacks {
 public:
  event::Dispatcher& dispatcher() override { return dispatcher_; }
  StreamInfo& streamInfo() override { return info; }
  void continueRequest() override {}
  void sendLocalReply(int s, std::string_view b, std::string_view d, const http::HeaderMap* h) override {
    status = s;
    body = std::string(b);
    details = std::string(d);
    if (h) headers = *h;
  }
  void encodeHead(http::ResponseHead&& head, bool end) override {
    status = head.status;
    headers = head.headers;
    end_stream = end;
  }
  void encodeData(const char*, size_t, bool) override {}
  void encodeComplete(const http::HeaderMap*) override {}
  void readDisableDownstream(bool) override {}
  void resetStream() override { reset = true; }

  StreamInfo info;
  int status = 0;  // 0: no answer
  std::string body, details;
  http::HeaderMap headers;
  bool end_stream = false;
  bool reset = false;

 private:
  event::Dispatcher dispatcher_;
};

}  // namespace strait::filters::testing
