// The admin endpoint: a small HTTP/1.1 server on its own thread and dispatcher (never on a
// worker), for loopback use (the paths are in admin_handlers.h). Requests are parsed with the
// same strict HTTP/1.1 codec as the data path.
// THREADS: start()/stop() from the main thread; the handler runs on the admin thread.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "sidecar/event/dispatcher.h"
#include "sidecar/net/address.h"

namespace strait::server {

struct AdminResponse {
  int status = 200;
  std::string content_type = "text/plain";
  std::string body;
};

class AdminServer {
 public:
  // `target`: the request target as sent, query included ("/stats?format=json").
  using Handler = std::function<AdminResponse(const std::string& method, const std::string& target)>;
  explicit AdminServer(Handler handler);
  ~AdminServer();

  // Binds (so a bind failure is reported at start-up) and starts the thread. Returns the port.
  absl::StatusOr<uint16_t> start(const net::Address& address);
  void stop();

 private:
  class Session;
  class Acceptor;
  Handler handler_;
  event::Dispatcher dispatcher_;
  std::unique_ptr<Acceptor> acceptor_;
  std::thread thread_;
  int listen_fd_ = -1;
};

}  // namespace strait::server
