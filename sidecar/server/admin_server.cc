#include "sidecar/server/admin_server.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <list>

#include "common/log.h"
#include "sidecar/http/h1_codec.h"
#include "sidecar/net/connection.h"

namespace strait::server {

// One admin connection: request in, response out, then close (no keep-alive needed).
class AdminServer::Session : public net::ConnectionCallbacks, public http::CodecCallbacks,
                             public event::DeferredDeletable {
 public:
  Session(AdminServer& server, int fd)
      : server_(server), conn_(std::make_unique<net::Connection>(server.dispatcher_, fd, false)),
        parser_(http::H1Parser::Mode::kRequest, this) {
    conn_->setCallbacks(this);
  }
  ~Session() override { server_.dispatcher_.deferredDelete(std::move(conn_)); }

  void onRead(net::Buffer& in) override {
    size_t n = parser_.execute(in.data(), in.size());
    in.drain(n);
  }
  void onEvent(net::ConnectionEvent event) override {
    if (event == net::ConnectionEvent::kConnected) return;
    server_.dispatcher_.deferredDelete(std::unique_ptr<Session>(this));
  }
  void onRequestHead(http::StreamId, http::RequestHead&& head, http::BodyFraming, uint64_t) override {
    method_ = head.method;
    target_ = head.target;
  }
  void onBody(http::StreamId, const char*, size_t) override {}
  void onMessageComplete(http::StreamId) override {
    AdminResponse r = server_.handler_(method_, target_);
    common::logDebug("strait-sidecar: admin: %s %s -> %d (%d bytes)", method_, target_, r.status, r.body.size());
    respond(r);
  }
  void onError(http::StreamId, const http::ParseError& error) override {
    respond({error.status, "text/plain", error.reason + "\n"});
  }

 private:
  void respond(const AdminResponse& r) {
    http::ResponseHead head;
    head.status = r.status;
    head.headers.add("content-type", r.content_type);
    head.headers.add("content-length", std::to_string(r.body.size()));
    head.headers.add("connection", "close");
    std::string out;
    http::encodeResponseHead(head, &out);
    out += r.body;
    conn_->write(out);
    conn_->close(net::Connection::CloseType::kFlushWrite);
  }

  AdminServer& server_;
  std::unique_ptr<net::Connection> conn_;
  http::H1Parser parser_;
  std::string method_;
  std::string target_;  // as sent: path and query
};

class AdminServer::Acceptor : public event::IoHandler {
 public:
  explicit Acceptor(AdminServer& server) : server_(server) {}
  void onIoEvent(uint32_t) override {
    for (;;) {
      int fd = accept4(server_.listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) return;
      new Session(server_, fd);  // owns itself; deleted (deferred) when its connection closes
    }
  }

 private:
  AdminServer& server_;
};

AdminServer::AdminServer(Handler handler) : handler_(std::move(handler)) {}

AdminServer::~AdminServer() { stop(); }

absl::StatusOr<uint16_t> AdminServer::start(const net::Address& address) {
  auto fd = net::listenTcp(address);
  if (!fd.ok()) return fd.status();
  listen_fd_ = *fd;
  acceptor_ = std::make_unique<Acceptor>(*this);
  dispatcher_.addFd(listen_fd_, EPOLLIN, acceptor_.get());
  thread_ = std::thread([this] { dispatcher_.run(); });
  return net::localPort(listen_fd_);
}

void AdminServer::stop() {
  if (!thread_.joinable()) return;
  dispatcher_.exit();
  thread_.join();
  close(listen_fd_);
}

}  // namespace strait::server
