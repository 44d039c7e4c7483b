// A contiguous byte buffer with a read cursor, used for socket I/O. Appends go to the tail,
// consumers drain from the head; space is reclaimed by moving the unread bytes to the front
// only when that is cheaper than growing. An empty buffer holds no storage (its block goes
// back to the thread's BlockCache). Not thread-safe; owned by one connection.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>
#include <sys/types.h>

namespace strait::net {

class Buffer {
 public:
  Buffer() = default;
  ~Buffer() { clear(); }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  const char* data() const { return buf_ + start_; }
  size_t size() const { return end_ - start_; }
  bool empty() const { return start_ == end_; }
  std::string_view view() const { return {data(), size()}; }

  void append(const char* data, size_t len);
  void append(std::string_view s) { append(s.data(), s.size()); }
  void drain(size_t len);
  void clear();  // also frees the storage

  // Room for `max` bytes at the tail (for a reader that fills it itself, e.g. SSL_read);
  // commit(n) makes n of them part of the buffer. An unused reservation is harmless.
  char* prepare(size_t max) { reserve(max); return buf_ + end_; }
  void commit(size_t n) { end_ += n; }

  // read(2) at most `max` bytes from fd into the tail. Returns read(2)'s result.
  ssize_t readFrom(int fd, size_t max);
  // write(2) as much as the socket takes. Returns bytes written or -1 (errno set).
  ssize_t writeTo(int fd);

 private:
  void reserve(size_t extra);

  char* buf_ = nullptr;  // from BlockCache; nullptr when empty
  size_t cap_ = 0;
  size_t start_ = 0;
  size_t end_ = 0;
};

}  // namespace strait::net
