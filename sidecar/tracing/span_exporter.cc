#include "sidecar/tracing/span_exporter.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <map>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/log.h"
#include "sidecar/accesslog/json_string.h"

namespace strait::tracing {
namespace {

constexpr int kIoTimeoutMs = 5000;

class Exporter {
 public:
  Exporter(std::string service, SpanExporter::Resolver resolver)
      : service_(std::move(service)), resolver_(std::move(resolver)) {
    thread_ = std::thread([this] { run(); });
  }

  void stop() {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      stopping_ = true;
    }
    if (thread_.joinable()) thread_.join();
  }

  void submit(Span&& span) {
    absl::MutexLock lock(&mu_);
    if (stopping_ || queue_.size() >= SpanExporter::kMaxQueued) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    if (queue_.empty()) first_queued_ = absl::Now();
    queue_.push_back(std::move(span));
  }

  std::atomic<uint64_t> exported_{0};
  std::atomic<uint64_t> dropped_{0};
  std::atomic<uint64_t> failed_{0};

 private:
  void run() {
    for (;;) {
      std::vector<Span> batch;
      {
        absl::MutexLock lock(&mu_);
        // A batch is full, or the oldest span has waited a second, or we stop.
        for (;;) {
          if (stopping_ || queue_.size() >= SpanExporter::kBatch) break;
          if (queue_.empty()) {
            mu_.Await(absl::Condition(
                +[](Exporter* e) ABSL_EXCLUSIVE_LOCKS_REQUIRED(e->mu_) { return e->stopping_ || !e->queue_.empty(); },
                this));
            continue;
          }
          bool woken = mu_.AwaitWithDeadline(
              absl::Condition(
                  +[](Exporter* e) ABSL_EXCLUSIVE_LOCKS_REQUIRED(e->mu_) {
                    return e->stopping_ || e->queue_.size() >= SpanExporter::kBatch;
                  },
                  this),
              first_queued_ + absl::Seconds(1));
          if (!woken) break;  // the oldest has waited long enough: send what there is
        }
        if (queue_.empty() && stopping_) return;
        size_t n = std::min(queue_.size(), SpanExporter::kBatch);
        batch.assign(std::make_move_iterator(queue_.begin()), std::make_move_iterator(queue_.begin() + n));
        queue_.erase(queue_.begin(), queue_.begin() + n);
        if (!queue_.empty()) first_queued_ = absl::Now();
      }
      std::map<std::string, std::vector<Span>> by_collector;
      for (auto& s : batch) by_collector[s.collector_cluster].push_back(std::move(s));
      for (auto& [cluster, spans] : by_collector) send(cluster, spans);
    }
  }

  void send(const std::string& cluster, const std::vector<Span>& spans) {
    std::optional<net::Address> address = resolver_(cluster);
    std::string error;
    if (!address) {
      error = "no available endpoint";
    } else {
      std::string body = SpanExporter::encode(service_, spans);
      std::string request = absl::StrCat("POST /v1/traces HTTP/1.1\r\nhost: ", address->toString(),
                                         "\r\ncontent-type: application/json\r\ncontent-length: ", body.size(),
                                         "\r\nconnection: close\r\n\r\n", body);
      error = post(*address, request);
    }
    if (error.empty()) {
      exported_.fetch_add(spans.size(), std::memory_order_relaxed);
      reported_ = false;
      return;
    }
    failed_.fetch_add(spans.size(), std::memory_order_relaxed);
    if (!reported_) {  // once per outage, not per batch
      common::logWarning("strait-sidecar: tracing: %d spans not exported to collector cluster '%s': %s",
                         static_cast<int>(spans.size()), cluster, error);
      reported_ = true;
    }
  }

  // One request on a new connection (the exporter thread's own, blocking with timeouts);
  // "" when the collector answered 2xx, else why not.
  static std::string post(const net::Address& address, const std::string& request) {
    auto fd = net::connectTcp(address);
    if (!fd.ok()) return std::string(fd.status().message());
    struct Closer {
      int fd;
      ~Closer() { ::close(fd); }
    } closer{*fd};
    size_t off = 0;
    while (off < request.size()) {
      pollfd p{*fd, POLLOUT, 0};
      if (::poll(&p, 1, kIoTimeoutMs) <= 0) return "connect or write timed out";
      ssize_t n = ::send(*fd, request.data() + off, request.size() - off, MSG_NOSIGNAL);
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (n <= 0) return absl::StrCat("write: ", strerror(errno));
      off += static_cast<size_t>(n);
    }
    std::string response;
    char buf[4096];
    while (response.find("\r\n") == std::string::npos && response.size() < 65536) {
      pollfd p{*fd, POLLIN, 0};
      if (::poll(&p, 1, kIoTimeoutMs) <= 0) return "no answer in time";
      ssize_t n = ::recv(*fd, buf, sizeof(buf), 0);
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (n <= 0) return "closed without an answer";
      response.append(buf, static_cast<size_t>(n));
    }
    // "HTTP/1.1 200 OK"
    if (response.size() >= 12 && response.compare(0, 5, "HTTP/") == 0) {
      size_t sp = response.find(' ');
      if (sp != std::string::npos && sp + 1 < response.size() && response[sp + 1] == '2') return "";
    }
    return "answered " + response.substr(0, response.find("\r\n"));
  }

  const std::string service_;
  const SpanExporter::Resolver resolver_;
  bool reported_ = false;  // exporter thread only
  std::thread thread_;
  absl::Mutex mu_;
  std::vector<Span> queue_ ABSL_GUARDED_BY(mu_);
  absl::Time first_queued_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
};

// Set once by start(); never freed (workers may submit until the process ends).
std::atomic<Exporter*> g_exporter{nullptr};

void appendAttribute(std::string* out, const std::string& key, const std::string& value) {
  absl::StrAppend(out, "{\"key\":");
  accesslog::appendJsonString(out, key);
  absl::StrAppend(out, ",\"value\":{\"stringValue\":");
  accesslog::appendJsonString(out, value);
  absl::StrAppend(out, "}}");
}

}  // namespace

void SpanExporter::start(std::string service_name, Resolver resolver) {
  if (g_exporter.load(std::memory_order_acquire) != nullptr) return;
  g_exporter.store(new Exporter(std::move(service_name), std::move(resolver)), std::memory_order_release);
}

void SpanExporter::stop() {
  if (Exporter* e = g_exporter.load(std::memory_order_acquire)) e->stop();
}

void SpanExporter::submit(Span&& span) {
  if (Exporter* e = g_exporter.load(std::memory_order_acquire)) e->submit(std::move(span));
}

uint64_t SpanExporter::exported() {
  Exporter* e = g_exporter.load(std::memory_order_acquire);
  return e ? e->exported_.load(std::memory_order_relaxed) : 0;
}
uint64_t SpanExporter::dropped() {
  Exporter* e = g_exporter.load(std::memory_order_acquire);
  return e ? e->dropped_.load(std::memory_order_relaxed) : 0;
}
uint64_t SpanExporter::failed() {
  Exporter* e = g_exporter.load(std::memory_order_acquire);
  return e ? e->failed_.load(std::memory_order_relaxed) : 0;
}

std::string SpanExporter::encode(const std::string& service_name, const std::vector<Span>& spans) {
  std::string out = "{\"resourceSpans\":[{\"resource\":{\"attributes\":[";
  appendAttribute(&out, "service.name", service_name);
  out += "]},\"scopeSpans\":[{\"scope\":{\"name\":\"strait\"},\"spans\":[";
  for (size_t i = 0; i < spans.size(); i++) {
    const Span& s = spans[i];
    if (i > 0) out += ",";
    absl::StrAppend(&out, "{\"traceId\":\"", toHex(s.trace_id), "\",\"spanId\":\"", toHex(s.span_id), "\"");
    if (s.parent_span_id != 0) absl::StrAppend(&out, ",\"parentSpanId\":\"", toHex(s.parent_span_id), "\"");
    out += ",\"name\":";
    accesslog::appendJsonString(&out, s.name);
    absl::StrAppend(&out, ",\"kind\":", s.kind == Span::Kind::kServer ? 2 : 3, ",\"startTimeUnixNano\":\"",
                    s.start_unix_ns, "\",\"endTimeUnixNano\":\"", s.end_unix_ns, "\",\"attributes\":[");
    bool first = true;
    for (const auto& [k, v] : s.attributes) {
      if (!first) out += ",";
      first = false;
      appendAttribute(&out, k, v);
    }
    for (const auto& [k, v] : s.int_attributes) {
      if (!first) out += ",";
      first = false;
      absl::StrAppend(&out, "{\"key\":");
      accesslog::appendJsonString(&out, k);
      absl::StrAppend(&out, ",\"value\":{\"intValue\":\"", v, "\"}}");
    }
    absl::StrAppend(&out, "],\"status\":{\"code\":", s.error ? 2 : 0, "}}");
  }
  out += "]}]}]}";
  return out;
}

}  // namespace strait::tracing
