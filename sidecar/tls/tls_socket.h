// The TLS TransportSocket: OpenSSL on the connection's non-blocking fd (SSL_set_fd), one
// SSL_do_handshake/SSL_read/SSL_write call per transport call. Created by a ServerContext
// (accepted connections) or a ClientContext (upstream connections) of the live snapshot.
// THREADS: the owning connection's worker. OWNERSHIP: owns its SSL; `owner` keeps the context
// whose callbacks the SSL uses alive for as long as the connection lives, even after the
// generation that created it is gone.
#pragma once

#include <memory>
#include <string>

#include "sidecar/net/transport_socket.h"
#include "sidecar/tls/openssl_ptr.h"

namespace strait::tls {

class TlsSocket final : public net::TransportSocket {
 public:
  enum class Mode {
    kServer,  // accept a TLS handshake
    kClient,  // start a TLS handshake
    kDetect,  // server, permissive: peek the first byte; 0x16 is TLS, anything else plaintext
  };
  TlsSocket(SslPtr ssl, Mode mode, std::shared_ptr<const void> owner);

  void attach(int fd) override;
  net::IoStatus handshake() override;
  net::IoStatus read(net::Buffer& in, size_t max, size_t* n) override;
  net::IoStatus write(const char* data, size_t len, size_t* n) override;
  bool hasBufferedInput() const override;
  void shutdown() override;
  const std::string& alpn() const override { return alpn_; }
  const std::string& peerIdentity() const override { return peer_identity_; }
  std::string failureReason() const override { return failure_; }

 private:
  net::IoStatus detect();
  net::IoStatus mapError(int ret);
  void onHandshakeDone();

  SslPtr ssl_;
  Mode mode_;
  std::shared_ptr<const void> owner_;
  int fd_ = -1;
  std::string alpn_;
  std::string peer_identity_;
  std::string failure_;
};

}  // namespace strait::tls
