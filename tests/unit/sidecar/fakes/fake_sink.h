// A StreamSink that records what the router's stream sent downstream.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "sidecar/http/stream_sink.h"

namespace strait::proxy::testing {

class FakeSink final : public http::StreamSink {
 public:
  void sendHeaders(http::ResponseHead&& h, http::BodyFraming, uint64_t) override { head = std::move(h); }
  void sendInterim(const http::ResponseHead& h) override { interim.push_back(h.status); }
  void sendBody(const char* data, size_t len) override { body.append(data, len); }
  void sendComplete(const http::HeaderMap*) override { complete = true; }
  void sendLocalReply(int status, std::string_view details) override {
    local_status = status;
    local_details = std::string(details);
    complete = true;
  }
  void resetDownstream() override { reset = true; }
  void readDisableDownstream(bool disable) override {
    read_disabled = disable;
    read_disable_calls++;
  }

  // The status the client got: the response head's or the local reply's (0: none yet).
  int status() const { return head ? head->status : local_status; }
  // A header of the response head ("" if absent).
  std::string header(const std::string& name) const {
    const std::string* v = head ? head->headers.get(name) : nullptr;
    return v ? *v : "";
  }

  std::optional<http::ResponseHead> head;
  std::vector<int> interim;
  std::string body;
  bool complete = false;
  int local_status = 0;
  std::string local_details;  // x-strait-local-reply
  bool reset = false;
  bool read_disabled = false;
  int read_disable_calls = 0;
};

}  // namespace strait::proxy::testing
