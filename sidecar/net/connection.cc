#include "sidecar/net/connection.h"

#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace strait::net {
namespace {
constexpr size_t kReadChunk = 64 * 1024;
// Bound the bytes read per event so one busy connection cannot starve the others.
constexpr size_t kMaxReadPerEvent = 1 << 20;
}  // namespace

Connection::Connection(event::Dispatcher& dispatcher, int fd, bool connecting,
                       std::unique_ptr<TransportSocket> transport)
    : dispatcher_(dispatcher), fd_(fd), connecting_(connecting), client_(connecting),
      transport_failed_(false), connect_failed_(false), write_shut_pending_(false), write_shut_(false),
      half_close_(false), read_closed_(false) {
  interest_ = connecting ? EPOLLOUT : (EPOLLIN | EPOLLRDHUP);
  dispatcher_.addFd(fd_, interest_, this);
  if (transport) setTransport(std::move(transport));
}

void Connection::setTransport(std::unique_ptr<TransportSocket> transport) {
  transport_ = std::move(transport);
  transport_->attach(fd_);
  handshaking_ = true;
  handshake_want_ = client_ ? IoStatus::kWantWrite : IoStatus::kWantRead;
  updateInterest();
}

const std::string& Connection::alpn() const {
  static const std::string kNone;
  return transport_ && !handshaking_ ? transport_->alpn() : kNone;
}

const std::string& Connection::peerIdentity() const {
  static const std::string kNone;
  return transport_ && !handshaking_ ? transport_->peerIdentity() : kNone;
}

Connection::~Connection() {
  if (fd_ >= 0) {
    dispatcher_.removeFd(fd_);
    ::close(fd_);
  }
}

void Connection::write(std::string_view data) {
  if (fd_ < 0 || writeShut()) return;
  if (data.size() >= kWriteThrough && !connecting_ && !closing_ && !handshaking_) {
    if (transport_) writeThroughTransport(data);
    else writeThrough(data);
    return;
  }
  out_.append(data.data(), data.size());
  checkWatermarks();
  scheduleFlush();
}

// Large writes go to the socket at once (together with what is already buffered, in one
// writev) instead of being copied into the buffer first; only what the socket does not
// take is copied.
void Connection::writeThrough(std::string_view data) {
  iovec iov[2];
  int count = 0;
  if (!out_.empty()) iov[count++] = {const_cast<char*>(out_.data()), out_.size()};
  iov[count++] = {const_cast<char*>(data.data()), data.size()};
  ssize_t n;
  do {
    n = ::writev(fd_, iov, count);
  } while (n < 0 && errno == EINTR);
  if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
    closeNow(ConnectionEvent::kRemoteClose);
    return;
  }
  size_t written = n > 0 ? static_cast<size_t>(n) : 0;
  size_t from_buffer = std::min(written, out_.size());
  out_.drain(from_buffer);
  written -= from_buffer;
  out_.append(data.data() + written, data.size() - written);
  checkWatermarks();
  if (fd_ >= 0) updateInterest();
}

// The transport variant of writeThrough: what is buffered goes first, then `data` straight
// from the caller's memory; only the rest is copied.
void Connection::writeThroughTransport(std::string_view data) {
  if (!writeTransport()) return;
  size_t off = 0;
  while (out_.empty() && off < data.size() && !write_wants_read_) {
    size_t n = 0;
    IoStatus st = transport_->write(data.data() + off, data.size() - off, &n);
    if (st == IoStatus::kOk) {
      off += n;
    } else if (st == IoStatus::kWantRead) {
      write_wants_read_ = true;
    } else if (st == IoStatus::kWantWrite) {
      break;
    } else {
      return failTransport();
    }
  }
  out_.append(data.data() + off, data.size() - off);
  checkWatermarks();
  if (fd_ >= 0) updateInterest();
}

void Connection::scheduleFlush() {
  if (flush_scheduled_ || connecting_ || handshaking_) return;
  flush_scheduled_ = true;
  // The deferred callback must not outlive the connection: deletion is itself deferred
  // until after every deferred callback of the batch has run.
  dispatcher_.deferred([this] {
    flush_scheduled_ = false;
    flush();
  });
}

void Connection::flush() {
  if (fd_ < 0 || connecting_ || handshaking_) return;
  doWrite();
}

// False if the connection closed.
bool Connection::writePlain() {
  while (!out_.empty()) {
    ssize_t n = out_.writeTo(fd_);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (errno == EINTR) continue;
      closeNow(ConnectionEvent::kRemoteClose);
      return false;
    }
  }
  return true;
}

// False if the connection closed.
bool Connection::writeTransport() {
  write_wants_read_ = false;
  while (!out_.empty()) {
    size_t n = 0;
    IoStatus st = transport_->write(out_.data(), out_.size(), &n);
    if (st == IoStatus::kOk) {
      out_.drain(n);
    } else if (st == IoStatus::kWantWrite) {
      break;
    } else if (st == IoStatus::kWantRead) {
      write_wants_read_ = true;
      break;
    } else {
      failTransport();
      return false;
    }
  }
  return true;
}

void Connection::doWrite() {
  if (!(transport_ ? writeTransport() : writePlain())) return;
  checkWatermarks();
  if (fd_ < 0) return;  // a watermark callback may have closed us
  if (out_.empty() && closing_) {
    closing_ = false;
    closeNow(ConnectionEvent::kLocalClose);
    return;
  }
  if (out_.empty() && write_shut_pending_) doShutdownWrite();
  updateInterest();
}

void Connection::shutdownWrite() {
  if (fd_ < 0 || writeShut()) return;
  write_shut_pending_ = true;
  if (!half_close_) read_disable_count_ = 0;  // a lingering close reads everything; a relay keeps its backpressure
  updateInterest();
  if (out_.empty() && !connecting_ && !handshaking_) return doShutdownWrite();
  scheduleFlush();
}

// Half-close: the peer sends no more. Reading stops (EPOLLRDHUP would fire forever); the
// owner is told, and decides when the connection ends.
void Connection::onReadEof() {
  read_closed_ = true;
  updateInterest();
  if (callbacks_) callbacks_->onEvent(ConnectionEvent::kReadClosed);
}

void Connection::doShutdownWrite() {
  write_shut_pending_ = false;
  write_shut_ = true;
  if (transport_ && !transport_failed_) transport_->shutdown();  // close_notify, best effort
  ::shutdown(fd_, SHUT_WR);
}

void Connection::checkWatermarks() {
  if (!above_high_ && out_.size() > kHighWatermark) {
    above_high_ = true;
    if (callbacks_) callbacks_->onAboveWriteHighWatermark();
  } else if (above_high_ && out_.size() < kLowWatermark) {
    above_high_ = false;
    if (callbacks_) callbacks_->onBelowWriteLowWatermark();
  }
}

void Connection::updateInterest() {
  if (fd_ < 0) return;
  // EPOLLRDHUP only while reading: level-triggered, it would spin while reads are paused.
  uint32_t want = 0;
  if (handshaking_ && !connecting_) {
    // The handshake proceeds whatever the read-disable state.
    want = handshake_want_ == IoStatus::kWantWrite ? EPOLLOUT : (EPOLLIN | EPOLLRDHUP);
  } else {
    if (connecting_ || !out_.empty() || read_wants_write_) want |= EPOLLOUT;
    bool reading = read_disable_count_ == 0 && !closing_ && !read_closed_;
    if (!connecting_ && (reading || write_wants_read_)) want |= EPOLLIN | EPOLLRDHUP;
  }
  if (want != interest_) {
    interest_ = want;
    dispatcher_.modifyFd(fd_, interest_, this);
  }
}

void Connection::readDisable(bool disable) {
  read_disable_count_ += disable ? 1 : -1;
  if (read_disable_count_ < 0) read_disable_count_ = 0;
  updateInterest();
  // Data may already be buffered from before the disable; deliver it on enable.
  if (!disable && read_disable_count_ == 0 && !in_.empty() && callbacks_) {
    dispatcher_.deferred([this] {
      if (fd_ >= 0 && read_disable_count_ == 0 && !in_.empty() && callbacks_) callbacks_->onRead(in_);
    });
  }
  // Bytes already decrypted inside the transport raise no epoll event: go and get them.
  if (!disable && read_disable_count_ == 0 && transport_ && !handshaking_ && transport_->hasBufferedInput()) {
    dispatcher_.deferred([this] {
      if (fd_ >= 0 && read_disable_count_ == 0 && transport_) doRead();
    });
  }
}

void Connection::close(CloseType type) {
  if (fd_ < 0) return;
  if (type == CloseType::kFlushWrite && !out_.empty() && !connecting_ && !handshaking_) {
    closing_ = true;
    updateInterest();
    scheduleFlush();
    return;
  }
  closeNow(ConnectionEvent::kLocalClose);
}

void Connection::closeNow(ConnectionEvent event) {
  if (fd_ < 0) return;
  if (transport_ && event == ConnectionEvent::kLocalClose && !handshaking_ && !transport_failed_ &&
      !write_shut_) {
    transport_->shutdown();  // close_notify, best effort
  }
  dispatcher_.removeFd(fd_);
  ::close(fd_);
  fd_ = -1;
  if (callbacks_) callbacks_->onEvent(event);
}

void Connection::failTransport() {
  if (handshaking_ && !client_ && callbacks_ && transport_) callbacks_->onServerHandshake(false, transport_->failureReason());
  if (fd_ < 0) return;
  transport_failed_ = true;
  if (handshaking_ && client_) connect_failed_ = true;
  closeNow(ConnectionEvent::kRemoteClose);
}

void Connection::doRead() {
  if (transport_) return doReadTransport();
  // Each read is handed to the callbacks at once, so the consumer drains the buffer before
  // the next read: the buffer never grows past one chunk and large bodies are not copied
  // again to make room.
  size_t total = 0;
  while (total < kMaxReadPerEvent && fd_ >= 0 && read_disable_count_ == 0) {
    ssize_t n = in_.readFrom(fd_, kReadChunk);
    if (n > 0) {
      total += static_cast<size_t>(n);
      if (callbacks_) callbacks_->onRead(in_);
      if (static_cast<size_t>(n) < kReadChunk) return;  // drained the socket
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n == 0 && half_close_) return onReadEof();
    closeNow(ConnectionEvent::kRemoteClose);  // EOF or error
    return;
  }
}

// Same loop as doRead, through the transport: a TLS record is at most 16 KiB, so the loop
// runs until the transport wants more from the socket rather than stopping at a short read.
void Connection::doReadTransport() {
  size_t total = 0;
  while (total < kMaxReadPerEvent && fd_ >= 0 && read_disable_count_ == 0) {
    size_t n = 0;
    IoStatus st = transport_->read(in_, kReadChunk, &n);
    if (st == IoStatus::kOk) {
      total += n;
      if (callbacks_) callbacks_->onRead(in_);
      continue;
    }
    if (st == IoStatus::kWantRead) return;
    if (st == IoStatus::kWantWrite) {
      read_wants_write_ = true;
      return updateInterest();
    }
    if (st == IoStatus::kEof) return half_close_ ? onReadEof() : closeNow(ConnectionEvent::kRemoteClose);
    return failTransport();
  }
  // Stopped by the budget with decrypted bytes left inside the transport: epoll will not
  // report those, so come back after this batch.
  if (fd_ >= 0 && read_disable_count_ == 0 && transport_->hasBufferedInput()) {
    dispatcher_.deferred([this] {
      if (fd_ >= 0 && read_disable_count_ == 0 && transport_) doRead();
    });
  }
}

void Connection::doHandshake() {
  IoStatus st = transport_->handshake();
  switch (st) {
    case IoStatus::kOk:
      return onHandshakeDone();
    case IoStatus::kPlaintext:  // permissive listener, plaintext peer: the fast path from now on
      transport_.reset();
      handshaking_ = false;
      updateInterest();
      return doRead();
    case IoStatus::kWantRead:
    case IoStatus::kWantWrite:
      handshake_want_ = st;
      return updateInterest();
    default:
      return failTransport();
  }
}

void Connection::onHandshakeDone() {
  handshaking_ = false;
  updateInterest();
  if (!client_ && callbacks_) callbacks_->onServerHandshake(true, std::string());
  if (fd_ < 0) return;
  if (client_ && callbacks_) callbacks_->onEvent(ConnectionEvent::kConnected);
  if (fd_ >= 0) doWrite();
  if (fd_ >= 0 && transport_ && transport_->hasBufferedInput()) doRead();
}

void Connection::onConnectEvent(uint32_t events) {
  int err = 0;
  socklen_t len = sizeof(err);
  getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0 || (events & (EPOLLERR | EPOLLHUP))) {
    connect_failed_ = true;
    closeNow(ConnectionEvent::kRemoteClose);
    return;
  }
  connecting_ = false;
  if (handshaking_) return doHandshake();
  updateInterest();
  if (callbacks_) callbacks_->onEvent(ConnectionEvent::kConnected);
  if (fd_ >= 0) doWrite();
}

void Connection::onIoEvent(uint32_t events) {
  if (fd_ < 0) return;
  if (connecting_) return onConnectEvent(events);
  if (handshaking_) return doHandshake();
  if (events & EPOLLOUT) {
    if (read_wants_write_) {
      read_wants_write_ = false;
      doRead();
      if (fd_ < 0) return;
    }
    doWrite();
    if (fd_ < 0) return;
  }
  if (write_wants_read_ && (events & EPOLLIN)) {
    doWrite();
    if (fd_ < 0) return;
  }
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
    if (read_closed_) {  // nothing more to read: only a reset or the socket's end matter
      if (events & (EPOLLHUP | EPOLLERR)) closeNow(ConnectionEvent::kRemoteClose);
      return;
    }
    if (read_disable_count_ > 0 && !(events & (EPOLLHUP | EPOLLERR))) return;
    doRead();
  }
}

}  // namespace strait::net
