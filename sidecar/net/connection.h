// A non-blocking TCP connection on one dispatcher: buffered reads and writes with
// watermarks, and a single close notification.
//
// THREADS: dispatcher thread only. OWNERSHIP: owned by whoever holds the unique_ptr (a
// downstream session, an upstream pool or stream). Callbacks may be swapped with
// setCallbacks() (a pooled connection moves between its pool and a stream). After the
// Closed event the fd is gone; the owner deletes the object via deferredDelete (never
// inside a callback).
// WRITES: write() appends to the output buffer; the flush happens after the current batch
// of events (coalescing small writes into one send), or at once via flush().
#pragma once

#include <cstdint>
#include <string_view>

#include "sidecar/event/dispatcher.h"
#include "sidecar/net/buffer.h"

namespace strait::net {

enum class ConnectionEvent {
  kConnected,     // outgoing connect completed
  kRemoteClose,   // peer closed or reset (or connect failed: see connectFailed())
  kLocalClose,    // close() was called
};

class ConnectionCallbacks {
 public:
  virtual ~ConnectionCallbacks() = default;
  // New bytes are in `in`; consume what you can (drain), leave the rest.
  virtual void onRead(Buffer& in) = 0;
  virtual void onEvent(ConnectionEvent event) = 0;
  // Output buffer crossed the high watermark upwards / drained below the low one.
  virtual void onAboveWriteHighWatermark() {}
  virtual void onBelowWriteLowWatermark() {}
};

class Connection final : public event::IoHandler, public event::DeferredDeletable {
 public:
  static constexpr size_t kHighWatermark = 1 << 20;
  static constexpr size_t kLowWatermark = 256 << 10;
  static constexpr size_t kWriteThrough = 16 << 10;  // writes this large skip the buffer

  // Takes ownership of `fd`. `connecting` is true for an outgoing connect in progress.
  Connection(event::Dispatcher& dispatcher, int fd, bool connecting);
  ~Connection() override;

  void setCallbacks(ConnectionCallbacks* cb) { callbacks_ = cb; }
  void write(std::string_view data);
  void flush();
  // Stops/starts reading (backpressure). Nested disables need as many enables.
  void readDisable(bool disable);
  enum class CloseType { kNoFlush, kFlushWrite };
  void close(CloseType type);

  bool open() const { return fd_ >= 0 && !closing_; }
  bool connecting() const { return connecting_; }
  bool connectFailed() const { return connect_failed_; }
  size_t bufferedOut() const { return out_.size(); }
  bool aboveHighWatermark() const { return above_high_; }
  Buffer& input() { return in_; }
  event::Dispatcher& dispatcher() { return dispatcher_; }
  int fd() const { return fd_; }

  void onIoEvent(uint32_t events) override;

 private:
  void doRead();
  void doWrite();
  void scheduleFlush();
  void writeThrough(std::string_view data);
  void updateInterest();
  void closeNow(ConnectionEvent event);
  void checkWatermarks();

  event::Dispatcher& dispatcher_;
  ConnectionCallbacks* callbacks_ = nullptr;
  int fd_;
  Buffer in_;
  Buffer out_;
  uint32_t interest_ = 0;
  int read_disable_count_ = 0;
  bool connecting_;
  bool connect_failed_ = false;
  bool closing_ = false;       // close(kFlushWrite) pending
  bool flush_scheduled_ = false;
  bool above_high_ = false;
};

}  // namespace strait::net
