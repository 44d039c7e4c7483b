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
// TRANSPORT: without a TransportSocket the connection is plaintext (reads/writes are plain
// syscalls, no virtual call). With one (TLS), the handshake runs first, driven from read and
// write readiness; for an outgoing connection kConnected is reported only once the
// handshake is done, and a failed handshake is a connect failure (connectFailed()). Writes
// made before that are buffered and flushed after it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "sidecar/event/dispatcher.h"
#include "sidecar/net/buffer.h"
#include "sidecar/net/transport_socket.h"

namespace strait::net {

enum class ConnectionEvent {
  kConnected,     // outgoing connect completed
  kRemoteClose,   // peer closed or reset (or connect failed: see connectFailed())
  kLocalClose,    // close() was called
  kReadClosed,    // half-close enabled: the peer ended its sending direction (FIN or TLS
                  // close_notify); writing goes on, the owner closes when it is done
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
  // Accepted connections with a transport (TLS): its handshake completed (`failure` empty)
  // or failed (`failure`: the transport's reason; empty if the client just went away).
  virtual void onServerHandshake(bool ok, const std::string& failure) {
    (void)ok;
    (void)failure;
  }
};

class Connection final : public event::IoHandler, public event::DeferredDeletable {
 public:
  static constexpr size_t kHighWatermark = 1 << 20;
  static constexpr size_t kLowWatermark = 256 << 10;
  static constexpr size_t kWriteThrough = 16 << 10;  // writes this large skip the buffer

  // Takes ownership of `fd`. `connecting` is true for an outgoing connect in progress.
  // `transport` (optional) wraps the socket, e.g. in TLS; nullptr is plaintext.
  Connection(event::Dispatcher& dispatcher, int fd, bool connecting,
             std::unique_ptr<TransportSocket> transport = nullptr);
  ~Connection() override;

  // Same as the constructor argument; only before the first I/O event.
  void setTransport(std::unique_ptr<TransportSocket> transport);
  // Negotiated ALPN protocol ("" if none or plaintext).
  const std::string& alpn() const;
  // The verified peer certificate's "spiffe://" URI SAN ("" if none or plaintext).
  const std::string& peerIdentity() const;
  // True once a transport (TLS) carries the connection (a permissive listener that saw
  // plaintext drops its transport: false).
  bool secure() const { return transport_ != nullptr; }

  void setCallbacks(ConnectionCallbacks* cb) { callbacks_ = cb; }
  void write(std::string_view data);
  void flush();
  // Stops/starts reading (backpressure). Nested disables need as many enables.
  void readDisable(bool disable);
  enum class CloseType { kNoFlush, kFlushWrite };
  void close(CloseType type);
  // Half-close, for a lingering close: flushes what is buffered, then ends the sending
  // direction (a TLS close_notify, then FIN) while reading goes on, so the peer reads
  // everything before it sees the end. Closing a socket that still has unread input makes
  // the kernel send RST instead, and an RST can destroy responses the peer has received
  // but not yet read. Reading resumes whatever readDisable() said; later writes are
  // dropped. The owner closes when the peer does (kRemoteClose) or after a time bound.
  void shutdownWrite();
  bool writeShut() const { return write_shut_ || write_shut_pending_; }
  // The peer's end of its sending direction is reported as kReadClosed (reading stops)
  // instead of closing the connection (TCP relays pass a half-close on).
  void enableHalfClose() { half_close_ = true; }
  bool readClosed() const { return read_closed_; }

  bool open() const { return fd_ >= 0 && !closing_; }
  // Outgoing connect (TCP, then the TLS handshake if any) not finished yet.
  bool connecting() const { return connecting_ || (handshaking_ && client_); }
  bool connectFailed() const { return connect_failed_; }
  size_t bufferedOut() const { return out_.size(); }
  bool aboveHighWatermark() const { return above_high_; }
  Buffer& input() { return in_; }
  event::Dispatcher& dispatcher() { return dispatcher_; }
  int fd() const { return fd_; }

  void onIoEvent(uint32_t events) override;

 private:
  void doRead();
  void doReadTransport();
  void doWrite();
  bool writePlain();
  bool writeTransport();
  void writeThroughTransport(std::string_view data);
  void doHandshake();
  void onHandshakeDone();
  void failTransport();
  void onConnectEvent(uint32_t events);
  void scheduleFlush();
  void writeThrough(std::string_view data);
  void updateInterest();
  void closeNow(ConnectionEvent event);
  void doShutdownWrite();
  void onReadEof();
  void checkWatermarks();

  // Ordered to pack into 128 bytes (an allocator size class): one per idle connection.
  event::Dispatcher& dispatcher_;
  ConnectionCallbacks* callbacks_ = nullptr;
  Buffer in_;
  Buffer out_;
  std::unique_ptr<TransportSocket> transport_;  // nullptr: plaintext fast path
  int fd_;
  uint32_t interest_ = 0;
  int read_disable_count_ = 0;
  IoStatus handshake_want_ = IoStatus::kWantRead;  // one byte
  bool connecting_;
  bool client_;                // outgoing connection (reports kConnected)
  bool handshaking_ = false;   // transport handshake in progress
  bool read_wants_write_ = false;  // transport read needs the socket writable
  bool write_wants_read_ = false;  // transport write needs the socket readable
  // Rarely set: bits, so that the object keeps to its size class.
  bool transport_failed_ : 1;      // no close_notify after a fatal error
  bool connect_failed_ : 1;
  bool write_shut_pending_ : 1;    // shutdownWrite() waits for the flush
  bool write_shut_ : 1;            // FIN sent
  bool half_close_ : 1;            // enableHalfClose()
  bool read_closed_ : 1;           // the peer's FIN (half_close_ only)
  bool closing_ = false;       // close(kFlushWrite) pending
  bool flush_scheduled_ = false;
  bool above_high_ = false;
};

}  // namespace strait::net
