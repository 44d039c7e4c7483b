#include "sidecar/server/worker.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "absl/container/flat_hash_set.h"
#include "absl/time/clock.h"
#include "sidecar/core/overload.h"

namespace strait::server {

// Accepts on one shared listening socket for this worker.
class Worker::Acceptor : public event::IoHandler, public event::DeferredDeletable {
 public:
  Acceptor(Worker& worker, std::shared_ptr<proxy::ListenSocket> socket, std::string listener)
      : worker_(worker), socket_(std::move(socket)), listener_(std::move(listener)) {
    worker_.dispatcher_.addFd(socket_->fd(), EPOLLIN | EPOLLEXCLUSIVE, this);
  }
  ~Acceptor() override { stop(); }
  // Unregisters at once; the object itself is deleted deferred (an event for it may be
  // pending in the current epoll batch).
  void stop() {
    if (stopped_) return;
    stopped_ = true;
    worker_.dispatcher_.removeFd(socket_->fd());
  }
  void setListener(const std::string& name) { listener_ = name; }

  void onIoEvent(uint32_t) override {
    if (stopped_) return;
    // A bounded batch per wake-up keeps other connections on this worker responsive.
    for (int i = 0; i < 64; i++) {
      sockaddr_storage ss{};
      socklen_t len = sizeof(ss);
      int fd = accept4(socket_->fd(), reinterpret_cast<sockaddr*>(&ss), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        return;  // EAGAIN, or EMFILE and friends: try again on the next event
      }
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      net::Address peer;
      peer.storage = ss;
      peer.len = len;
      worker_.onAccept(fd, peer.ip(), listener_);
    }
  }

 private:
  Worker& worker_;
  std::shared_ptr<proxy::ListenSocket> socket_;
  std::string listener_;
  bool stopped_ = false;
};

Worker::Worker(int index)
    : index_(index), cluster_manager_(dispatcher_, stats_),
      rng_(std::random_device{}() ^ (static_cast<uint64_t>(index) << 32)) {}

Worker::~Worker() { stop(); }

void Worker::start() {
  thread_ = std::thread([this] {
    std::string name = "strait-wrk-" + std::to_string(index_);
    pthread_setname_np(pthread_self(), name.c_str());
    dispatcher_.run();
  });
}

void Worker::stop() {
  if (!thread_.joinable()) return;
  // Everything that owns a file descriptor is torn down on the worker's own thread.
  dispatcher_.post([this] {
    acceptors_.clear();
    sessions_.clear();
    client_counted_.clear();
    cluster_manager_.clear();
    snapshot_.reset();
  });
  dispatcher_.exit();
  thread_.join();
}

void Worker::setSnapshot(proxy::SnapshotPtr snapshot, std::function<void(absl::Duration)> done) {
  dispatcher_.post([this, snapshot = std::move(snapshot), done = std::move(done)]() mutable {
    absl::Time start = absl::Now();
    applySnapshot(std::move(snapshot));
    done(absl::Now() - start);
  });
}

void Worker::drain() {
  dispatcher_.post([this] {
    draining_ = true;
    for (auto& [fd, acceptor] : acceptors_) {
      acceptor->stop();
      dispatcher_.deferredDelete(std::move(acceptor));
    }
    acceptors_.clear();
    // New connections are refused at once rather than left in the backlog until exit: on
    // Linux, shutdown(SHUT_RD) stops a listening socket (every worker does it; idempotent).
    if (snapshot_) {
      for (const auto& l : snapshot_->listeners) ::shutdown(l.socket->fd(), SHUT_RD);
    }
    std::vector<proxy::DownstreamSession*> all;
    for (auto& [ptr, owned] : sessions_) all.push_back(ptr);
    for (auto* s : all) s->drain();  // may close (and remove) the session
  });
}

void Worker::applySnapshot(proxy::SnapshotPtr snapshot) {
  snapshot_ = std::move(snapshot);
  cluster_manager_.onSnapshot(*snapshot_);
  absl::flat_hash_set<int> live_fds;
  absl::flat_hash_set<std::string> live_names;
  for (const auto& l : snapshot_->listeners) {
    live_fds.insert(l.socket->fd());
    live_names.insert(l.name);
    auto it = acceptors_.find(l.socket->fd());
    if (draining_) continue;
    if (it == acceptors_.end()) {
      acceptors_.emplace(l.socket->fd(), std::make_unique<Acceptor>(*this, l.socket, l.name));
    } else {
      it->second->setListener(l.name);
    }
  }
  for (auto it = acceptors_.begin(); it != acceptors_.end();) {
    if (!live_fds.contains(it->first)) {
      it->second->stop();
      dispatcher_.deferredDelete(std::move(it->second));
      acceptors_.erase(it++);
    } else {
      ++it;
    }
  }
  // Connections of removed listeners finish their current request and close.
  std::vector<proxy::DownstreamSession*> to_drain;
  for (auto& [ptr, owned] : sessions_) {
    if (!live_names.contains(ptr->listenerName())) to_drain.push_back(ptr);
  }
  for (auto* s : to_drain) s->drain();
}

void Worker::onAccept(int fd, const std::string& peer_ip, const std::string& listener) {
  // Refused before anything is allocated for it: the client sees the connection closed.
  if (proxy::OverloadState::global().refuseConnections()) {
    proxy::OverloadState::global().countRefusedConnection();
    ::close(fd);
    return;
  }
  const proxy::ListenerInfo* info = snapshot_ ? snapshot_->findListener(listener) : nullptr;
  if (info != nullptr && info->socket) info->socket->counters().connections.fetch_add(1, std::memory_order_relaxed);
  std::shared_ptr<proxy::ListenSocket> counted;  // holds the per-client count
  if (info != nullptr && info->max_connections_per_client > 0) {
    if (!info->socket->tryAddClient(peer_ip, info->max_connections_per_client)) {
      proxy::WorkerStats::inc(stats_.downstream_cx_client_limit);
      ::close(fd);
      return;
    }
    counted = info->socket;
  }
  // TLS listeners wrap the socket with the live generation's context (new handshakes pick
  // up new certificates; established connections keep the context they started with).
  std::unique_ptr<net::TransportSocket> transport;
  if (info != nullptr && info->tls) {
    transport = info->tls->newTransport();
    if (!transport) {
      if (counted) counted->removeClient(peer_ip);
      ::close(fd);
      return;
    }
  }
  std::unique_ptr<net::Address> original_dst;
  if (info != nullptr && info->use_original_dst) {
    if (std::optional<net::Address> dst = net::originalDestination(fd)) {
      original_dst = std::make_unique<net::Address>(*dst);
    }
  }
  auto session = std::make_unique<proxy::DownstreamSession>(
      *this, fd, peer_ip, listener, *this,
      std::move(transport), std::move(original_dst));
  proxy::DownstreamSession* raw = session.get();
  sessions_.emplace(raw, std::move(session));
  if (counted) client_counted_.emplace(raw, std::move(counted));
  raw->onAccepted();
}

void Worker::onSessionClosed(proxy::DownstreamSession* session) {
  auto it = sessions_.find(session);
  if (it == sessions_.end()) return;
  dispatcher_.deferredDelete(std::move(it->second));
  sessions_.erase(it);
  if (auto c = client_counted_.find(session); c != client_counted_.end()) {
    c->second->removeClient(session->peerIp());
    client_counted_.erase(c);
  }
}

std::string Worker::newRequestId() {
  // UUIDv4 text, formatted by hand: snprintf showed up in per-request profiles.
  static constexpr char kHex[] = "0123456789abcdef";
  uint64_t hi = rng_(), lo = rng_();
  hi = (hi & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  lo = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // variant 1
  std::string id(36, '-');
  size_t pos = 0;
  for (int i = 0; i < 32; i++) {
    if (pos == 8 || pos == 13 || pos == 18 || pos == 23) pos++;
    uint64_t word = i < 16 ? hi : lo;
    id[pos++] = kHex[(word >> (60 - 4 * (i % 16))) & 0xf];
  }
  return id;
}

}  // namespace strait::server
