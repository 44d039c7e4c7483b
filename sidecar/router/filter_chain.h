// The HTTP filters of one request (see sidecar/filters/filter.h for the filter contract):
// creates them from the route's factories, runs the request side in order and the response
// side in reverse order, and gives each filter its own FilterCallbacks so a response a filter
// makes (a cache hit, a preflight answer) passes only through the filters before it.
// THREADS: the request's worker. OWNERSHIP: owned by its RouterStream; the Owner outlives it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sidecar/filters/filter.h"
#include "sidecar/http/message.h"
#include "sidecar/http/stream_sink.h"

namespace strait::proxy {


class FilterChain {
 public:
  class Owner {
   public:
    virtual ~Owner() = default;
    virtual event::Dispatcher& filterDispatcher() = 0;
    virtual http::StreamSink& filterSink() = 0;
    // Every request filter let the request through: route it upstream.
    virtual void onFiltersPassed() = 0;
    // A filter answers the request itself (no upstream request is, or will be, made).
    virtual void onFilterResponse() = 0;
    virtual void filterReadDisable(bool disable) = 0;
    // A filter cannot complete the response: reset the downstream.
    virtual void filterResetStream() = 0;
    // The response's last byte is about to go to the sink.
    virtual void onFilterChainComplete() = 0;
    // FilterCallbacks::sendBackgroundRequest (see sidecar/filters/filter.h).
    virtual bool filterBackgroundRequest(const http::RequestHead& head,
                                         std::unique_ptr<filters::BackgroundResponseHandler> handler) = 0;
  };

  FilterChain(Owner& owner, const std::vector<std::shared_ptr<const filters::FilterFactory>>& factories,
              filters::StreamInfo& info);
  ~FilterChain();

  bool empty() const { return filters_.empty(); }
  // Runs the request filters from the first. Calls Owner::onFiltersPassed when all let the
  // request through (now or later, after a held filter continues).
  void startRequest(http::RequestHead& head, bool end_stream);
  bool holding() const { return holding_; }
  bool responding() const { return responding_; }  // a filter made the response
  // A request body chunk; false if a filter answered (stop forwarding).
  bool requestData(const char* data, size_t len);
  // The body (and its end) of a request a filter holds, for that filter only.
  void heldData(const char* data, size_t len);
  void heldEnd();

  // Response from the router, through every filter (reverse order), to the sink.
  void encodeHead(http::ResponseHead&& head, http::BodyFraming framing, uint64_t length);
  void encodeData(const char* data, size_t len);
  void encodeComplete(const http::HeaderMap* trailers);
  void onReset();
  // While a filter makes the response: backpressure from the downstream, to every filter.
  void onDownstreamWatermark(bool above);

 private:
  class Slot;
  bool takeResponse();  // a filter starts the response; false if one already exists
  void runRequestFilters();
  void headFrom(size_t end, http::ResponseHead&& head, http::BodyFraming framing, uint64_t length);
  void dataFrom(size_t end, const char* data, size_t len);
  void completeFrom(size_t end, const http::HeaderMap* trailers);
  void localReply(size_t index, int status, std::string_view body, std::string_view details,
                  const http::HeaderMap* headers);

  Owner& owner_;
  filters::StreamInfo& info_;  // the stream's; outlives the chain
  std::vector<std::unique_ptr<filters::StreamFilter>> filters_;
  std::vector<std::unique_ptr<Slot>> slots_;
  http::RequestHead* head_ = nullptr;  // the held request (owned by the stream)
  bool end_stream_ = false;
  size_t next_ = 0;                    // next request filter to run
  bool holding_ = false;
  bool running_ = false;               // inside runRequestFilters
  bool continue_requested_ = false;    // continueRequest() while running
  bool responding_ = false;
  bool passed_ = false;
  bool passed_response_ = false;       // the router's response is flowing
  bool reset_ = false;                 // a filter reset the stream: the sink gets nothing more
  std::string scratch_[2];             // body transform buffers
};

}  // namespace strait::proxy
