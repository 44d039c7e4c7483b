// What a Connection's bytes pass through on their way to and from the socket. A Connection
// without a TransportSocket is plaintext and does its reads and writes itself (the fast path:
// no virtual call at all); one with a TransportSocket (TLS, see sidecar/tls/tls_socket.h)
// makes one virtual call per handshake step, per read and per write call, never per byte.
//
// THREADS: the owning Connection's dispatcher thread only. OWNERSHIP: owned by the
// Connection; the fd belongs to the Connection (the transport never closes it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "sidecar/net/buffer.h"

namespace strait::net {

// Outcome of one transport step.
enum class IoStatus : uint8_t {
  kOk,         // progress made (bytes moved, or the handshake finished)
  kWantRead,   // nothing more until the socket is readable
  kWantWrite,  // nothing more until the socket is writable
  kEof,        // the peer closed cleanly (reads only)
  kError,      // fatal: close the connection
  kPlaintext,  // handshake only: the peer speaks plaintext; drop the transport (permissive)
};

class TransportSocket {
 public:
  virtual ~TransportSocket() = default;

  // Binds the transport to the connection's non-blocking fd (once, before anything else).
  virtual void attach(int fd) = 0;
  // Drives the handshake one step: kOk once done, kWantRead/kWantWrite to be called again
  // when the socket is ready, kError on failure, kPlaintext (server, permissive mode).
  virtual IoStatus handshake() = 0;
  // Appends up to `max` decrypted bytes to `in`; *n gets the count (kOk only).
  virtual IoStatus read(Buffer& in, size_t max, size_t* n) = 0;
  // Writes from `data`; *n gets the bytes taken (kOk only). After kWantWrite/kWantRead the
  // next call must start with the same bytes (a longer or moved buffer is fine).
  virtual IoStatus write(const char* data, size_t len, size_t* n) = 0;
  // Decrypted bytes held inside the transport (the socket will not signal them).
  virtual bool hasBufferedInput() const = 0;
  // Best effort close_notify before the fd closes (local close only, never after an error).
  virtual void shutdown() = 0;

  // Connection facts, valid once the handshake is done.
  virtual const std::string& alpn() const = 0;
  // The verified peer certificate's URI SAN starting with "spiffe://"; empty if none.
  virtual const std::string& peerIdentity() const = 0;
  // A human-readable reason for the last kError (for logs and stats), may be empty.
  virtual std::string failureReason() const = 0;
};

}  // namespace strait::net
