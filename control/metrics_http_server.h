// A minimal plain-HTTP/1.1 server for strait-control's GET /metrics (control plane, not data
// path): one thread, one connection at a time, one request per connection (the response
// says "Connection: close" and the connection is closed after it).
//
// Hostile or broken clients: a request head must arrive whole within kReadTimeout and
// kMaxRequestBytes, else the connection is answered 408/400 and closed; a malformed head is
// answered 400; a response that the client does not read within kWriteTimeout is dropped.
// So a slow client delays the others by at most kReadTimeout + kWriteTimeout (+ a short
// lingering close) and never blocks the server.
//
// THREADS: start() and stop() from one owning thread; `render` runs on the server thread and
// must be thread-safe with respect to whatever it reads. OWNERSHIP: owns its sockets and
// thread; stop() (also the destructor) joins the thread and closes them.
#pragma once

#include <functional>
#include <string>
#include "absl/strings/string_view.h"
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace strait::control {

// What the server needs of a request head.
struct HttpRequestHead {
  std::string method;  // e.g. "GET"
  std::string path;    // the target without its query, e.g. "/metrics"
};

// Parses a request head (request line and header lines, CRLF or LF; the blank line may be
// included). Error (InvalidArgument): not an HTTP/1.0 or 1.1 origin-form request.
absl::StatusOr<HttpRequestHead> parseRequestHead(absl::string_view head);

// The complete response (status line, headers, body) to `head`; `render` gives the body of
// a GET /metrics.
std::string metricsResponse(const absl::StatusOr<HttpRequestHead>& head, const std::function<std::string()>& render);

class MetricsHttpServer {
 public:
  static constexpr size_t kMaxRequestBytes = 8192;
  static constexpr absl::Duration kReadTimeout = absl::Seconds(2);
  static constexpr absl::Duration kWriteTimeout = absl::Seconds(2);

  explicit MetricsHttpServer(std::function<std::string()> render) : render_(std::move(render)) {}
  ~MetricsHttpServer() { stop(); }
  MetricsHttpServer(const MetricsHttpServer&) = delete;
  MetricsHttpServer& operator=(const MetricsHttpServer&) = delete;

  // Binds `listen` ("HOST:PORT", "[v6]:PORT"; port 0 picks a free one) and starts serving.
  absl::Status start(const std::string& listen);
  int port() const { return port_; }
  void stop();

 private:
  void serveLoop();
  void serveConnection(int fd);
  // Closes its descriptor on destruction (RAII for the listening socket, the stop pipe and
  // each accepted connection).
  class Fd {
   public:
    explicit Fd(int fd = -1) : fd_(fd) {}
    ~Fd() { reset(); }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }
    void reset(int fd = -1);

   private:
    int fd_;
  };

  // Reads a request head from `fd` through its blank line. Returns false (with the response
  // to send, possibly "" for none) when the client timed out, sent too much or closed early.
  bool readHead(int fd, std::string* head, std::string* error_response);
  void writeAll(int fd, const std::string& data);
  void lingeringClose(int fd);
  // Waits for `events` on `fd` (or stop) until `deadline`; false on timeout, stop or error.
  bool waitFor(int fd, short events, absl::Time deadline);

  const std::function<std::string()> render_;
  Fd listen_;
  Fd stop_read_;   // readable once stop() was called
  Fd stop_write_;
  int port_ = 0;
  std::thread thread_;
};

}  // namespace strait::control
