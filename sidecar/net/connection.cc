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

Connection::Connection(event::Dispatcher& dispatcher, int fd, bool connecting)
    : dispatcher_(dispatcher), fd_(fd), connecting_(connecting) {
  interest_ = connecting ? EPOLLOUT : (EPOLLIN | EPOLLRDHUP);
  dispatcher_.addFd(fd_, interest_, this);
}

Connection::~Connection() {
  if (fd_ >= 0) {
    dispatcher_.removeFd(fd_);
    ::close(fd_);
  }
}

void Connection::write(std::string_view data) {
  if (fd_ < 0) return;
  if (data.size() >= kWriteThrough && !connecting_ && !closing_) {
    writeThrough(data);
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

void Connection::scheduleFlush() {
  if (flush_scheduled_ || connecting_) return;
  flush_scheduled_ = true;
  // The deferred callback must not outlive the connection: deletion is itself deferred
  // until after every deferred callback of the batch has run.
  dispatcher_.deferred([this] {
    flush_scheduled_ = false;
    flush();
  });
}

void Connection::flush() {
  if (fd_ < 0 || connecting_) return;
  doWrite();
}

void Connection::doWrite() {
  while (!out_.empty()) {
    ssize_t n = out_.writeTo(fd_);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (errno == EINTR) continue;
      closeNow(ConnectionEvent::kRemoteClose);
      return;
    }
  }
  checkWatermarks();
  if (fd_ < 0) return;  // a watermark callback may have closed us
  if (out_.empty() && closing_) {
    closing_ = false;
    closeNow(ConnectionEvent::kLocalClose);
    return;
  }
  updateInterest();
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
  if (connecting_ || !out_.empty()) want |= EPOLLOUT;
  if (!connecting_ && read_disable_count_ == 0 && !closing_) want |= EPOLLIN | EPOLLRDHUP;
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
}

void Connection::close(CloseType type) {
  if (fd_ < 0) return;
  if (type == CloseType::kFlushWrite && !out_.empty() && !connecting_) {
    closing_ = true;
    updateInterest();
    scheduleFlush();
    return;
  }
  closeNow(ConnectionEvent::kLocalClose);
}

void Connection::closeNow(ConnectionEvent event) {
  if (fd_ < 0) return;
  dispatcher_.removeFd(fd_);
  ::close(fd_);
  fd_ = -1;
  if (callbacks_) callbacks_->onEvent(event);
}

void Connection::doRead() {
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
    closeNow(ConnectionEvent::kRemoteClose);  // EOF or error
    return;
  }
}

void Connection::onIoEvent(uint32_t events) {
  if (fd_ < 0) return;
  if (connecting_) {
    int err = 0;
    socklen_t len = sizeof(err);
    getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0 || (events & (EPOLLERR | EPOLLHUP))) {
      connect_failed_ = true;
      closeNow(ConnectionEvent::kRemoteClose);
      return;
    }
    connecting_ = false;
    updateInterest();
    if (callbacks_) callbacks_->onEvent(ConnectionEvent::kConnected);
    if (fd_ >= 0) doWrite();
    return;
  }
  if (events & EPOLLOUT) {
    doWrite();
    if (fd_ < 0) return;
  }
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
    if (read_disable_count_ > 0 && !(events & (EPOLLHUP | EPOLLERR))) return;
    doRead();
  }
}

}  // namespace strait::net
