#include "sidecar/net/buffer.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "sidecar/net/block_cache.h"

namespace strait::net {

void Buffer::reserve(size_t extra) {
  if (cap_ - end_ >= extra) return;
  size_t used = size();
  if (start_ > 0 && cap_ - used >= extra && start_ >= used) {
    std::memmove(buf_, data(), used);  // cheap: unread part is small
    start_ = 0;
    end_ = used;
    return;
  }
  size_t want = cap_ ? cap_ : BlockCache::kMinBlock;
  while (want - used < extra) want *= 2;
  size_t cap = 0;
  char* next = BlockCache::acquire(want, &cap);
  if (used) std::memcpy(next, data(), used);
  BlockCache::release(buf_, cap_);
  buf_ = next;
  cap_ = cap;
  start_ = 0;
  end_ = used;
}

void Buffer::append(const char* data, size_t len) {
  if (len == 0) return;
  reserve(len);
  std::memcpy(buf_ + end_, data, len);
  end_ += len;
}

void Buffer::drain(size_t len) {
  start_ += len < size() ? len : size();
  if (start_ == end_) clear();
}

void Buffer::clear() {
  // An empty buffer holds no memory: idle keep-alive connections must stay small; the
  // per-thread BlockCache makes the next acquire cheap.
  start_ = end_ = 0;
  BlockCache::release(buf_, cap_);
  buf_ = nullptr;
  cap_ = 0;
}

ssize_t Buffer::readFrom(int fd, size_t max) {
  reserve(max);
  ssize_t n = ::read(fd, buf_ + end_, max);
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
