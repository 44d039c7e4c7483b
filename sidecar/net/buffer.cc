#include "sidecar/net/buffer.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

namespace strait::net {

void Buffer::reserve(size_t extra) {
  if (cap_ - end_ >= extra) return;
  size_t used = size();
  if (start_ > 0 && cap_ - used >= extra && start_ >= used) {
    std::memmove(buf_.get(), data(), used);  // cheap: unread part is small
    start_ = 0;
    end_ = used;
    return;
  }
  size_t cap = cap_ ? cap_ : 4096;
  while (cap - used < extra) cap *= 2;
  std::unique_ptr<char[]> next(new char[cap]);
  if (used) std::memcpy(next.get(), data(), used);
  buf_ = std::move(next);
  cap_ = cap;
  start_ = 0;
  end_ = used;
}

void Buffer::append(const char* data, size_t len) {
  if (len == 0) return;
  reserve(len);
  std::memcpy(buf_.get() + end_, data, len);
  end_ += len;
}

void Buffer::drain(size_t len) {
  start_ += len < size() ? len : size();
  if (start_ == end_) clear();
}

void Buffer::clear() {
  // An empty buffer holds no memory: idle keep-alive connections must stay small, and a
  // malloc per read is cheaper than 64 KiB per idle connection.
  start_ = end_ = 0;
  buf_.reset();
  cap_ = 0;
}

ssize_t Buffer::readFrom(int fd, size_t max) {
  reserve(max);
  ssize_t n = ::read(fd, buf_.get() + end_, max);
  if (n > 0) end_ += static_cast<size_t>(n);
  else if (empty()) clear();
  return n;
}

ssize_t Buffer::writeTo(int fd) {
  if (empty()) return 0;
  ssize_t n = ::send(fd, data(), size(), MSG_NOSIGNAL);
  if (n > 0) drain(static_cast<size_t>(n));
  return n;
}

}  // namespace strait::net
