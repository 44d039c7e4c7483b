#include "sidecar/tls/tls_socket.h"

#include <openssl/err.h>
#include <sys/socket.h>

#include <cerrno>
#include <climits>

#include "absl/strings/str_cat.h"
#include "sidecar/tls/san.h"

namespace strait::tls {

TlsSocket::TlsSocket(SslPtr ssl, Mode mode, std::shared_ptr<const void> owner)
    : ssl_(std::move(ssl)), mode_(mode), owner_(std::move(owner)) {}

void TlsSocket::attach(int fd) {
  fd_ = fd;
  SSL_set_fd(ssl_.get(), fd);
  if (mode_ == Mode::kClient) SSL_set_connect_state(ssl_.get());
  else SSL_set_accept_state(ssl_.get());
}

// A TLS connection starts with a handshake record (content type 22).
net::IoStatus TlsSocket::detect() {
  unsigned char first = 0;
  ssize_t n;
  do {
    n = ::recv(fd_, &first, 1, MSG_PEEK);
  } while (n < 0 && errno == EINTR);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return net::IoStatus::kWantRead;
  if (n <= 0) return net::IoStatus::kError;  // closed before saying anything
  if (first != 0x16) return net::IoStatus::kPlaintext;
  mode_ = Mode::kServer;
  return net::IoStatus::kOk;
}

net::IoStatus TlsSocket::handshake() {
  if (mode_ == Mode::kDetect) {
    net::IoStatus st = detect();
    if (st != net::IoStatus::kOk) return st;
  }
  ERR_clear_error();
  int ret = SSL_do_handshake(ssl_.get());
  if (ret == 1) {
    onHandshakeDone();
    return net::IoStatus::kOk;
  }
  net::IoStatus st = mapError(ret);
  return st == net::IoStatus::kEof ? net::IoStatus::kError : st;
}

void TlsSocket::onHandshakeDone() {
  const unsigned char* proto = nullptr;
  unsigned int len = 0;
  SSL_get0_alpn_selected(ssl_.get(), &proto, &len);
  if (proto != nullptr) alpn_.assign(reinterpret_cast<const char*>(proto), len);
  X509* peer = SSL_get0_peer_certificate(ssl_.get());
  if (peer != nullptr && SSL_get_verify_mode(ssl_.get()) != SSL_VERIFY_NONE &&
      SSL_get_verify_result(ssl_.get()) == X509_V_OK) {
    peer_identity_ = spiffeIdOf(peer);
  }
}

net::IoStatus TlsSocket::mapError(int ret) {
  switch (SSL_get_error(ssl_.get(), ret)) {
    case SSL_ERROR_WANT_READ:
      return net::IoStatus::kWantRead;
    case SSL_ERROR_WANT_WRITE:
      return net::IoStatus::kWantWrite;
    case SSL_ERROR_ZERO_RETURN:
      return net::IoStatus::kEof;
    case SSL_ERROR_SYSCALL:
      if (ERR_peek_error() == 0 && (errno == 0 || errno == ECONNRESET)) return net::IoStatus::kEof;
      failure_ = absl::StrCat("syscall: errno ", errno);
      return net::IoStatus::kError;
    default: {
      long verify = SSL_get_verify_result(ssl_.get());
      unsigned long err = ERR_get_error();
      char buf[256] = "";
      if (err != 0) ERR_error_string_n(err, buf, sizeof(buf));
      failure_ = verify == X509_V_OK ? std::string(buf)
                                     : absl::StrCat(buf, " (", X509_verify_cert_error_string(verify), ")");
      ERR_clear_error();
      return net::IoStatus::kError;
    }
  }
}

net::IoStatus TlsSocket::read(net::Buffer& in, size_t max, size_t* n) {
  char* dst = in.prepare(max);
  ERR_clear_error();
  errno = 0;
  int ret = SSL_read(ssl_.get(), dst, static_cast<int>(max < INT_MAX ? max : INT_MAX));
  if (ret > 0) {
    in.commit(static_cast<size_t>(ret));
    *n = static_cast<size_t>(ret);
    return net::IoStatus::kOk;
  }
  if (in.empty()) in.clear();  // an idle connection holds no buffer
  return mapError(ret);
}

net::IoStatus TlsSocket::write(const char* data, size_t len, size_t* n) {
  if (len == 0) {
    *n = 0;
    return net::IoStatus::kOk;
  }
  ERR_clear_error();
  errno = 0;
  int ret = SSL_write(ssl_.get(), data, static_cast<int>(len < INT_MAX ? len : INT_MAX));
  if (ret > 0) {
    *n = static_cast<size_t>(ret);
    return net::IoStatus::kOk;
  }
  net::IoStatus st = mapError(ret);
  return st == net::IoStatus::kEof ? net::IoStatus::kError : st;
}

bool TlsSocket::hasBufferedInput() const { return SSL_has_pending(ssl_.get()) == 1; }

void TlsSocket::shutdown() {
  ERR_clear_error();
  SSL_shutdown(ssl_.get());
  ERR_clear_error();
}

}  // namespace strait::tls
