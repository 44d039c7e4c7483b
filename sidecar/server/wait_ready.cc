#include "sidecar/server/wait_ready.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "sidecar/event/dispatcher.h"
#include "sidecar/net/address.h"

namespace strait::server {
namespace {


// One GET /ready; the status line's code, or -1 with `error` set.
int probe(const net::Address& admin, std::string* error) {
  int fd = ::socket(admin.storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *error = "socket failed";
    return -1;
  }
  timeval tv{2, 0};  // a wedged admin endpoint must not hang the probe
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  int code = -1;
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&admin.storage), admin.len) != 0) {
    *error = "connection refused (sidecar not started yet?)";
  } else {
    static const char kRequest[] = "GET /ready HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    char buf[256];
    ssize_t n = -1;
    if (::send(fd, kRequest, sizeof(kRequest) - 1, MSG_NOSIGNAL) > 0) n = ::recv(fd, buf, sizeof(buf) - 1, 0);
    if (n > 12 && std::string(buf, 9).rfind("HTTP/1.", 0) == 0) {
      buf[n] = '\0';
      code = std::atoi(buf + 9);
      std::string body(buf, static_cast<size_t>(n));
      size_t end = body.find("\r\n\r\n");
      *error = end == std::string::npos ? body : body.substr(end + 4);
    } else {
      *error = "no HTTP answer";
    }
  }
  ::close(fd);
  return code;
}

}  // namespace

int waitReady(const std::string& address, uint16_t port, int64_t timeout_ms, int64_t interval_ms) {
  auto admin = net::makeAddress(address, port);
  if (!admin.ok()) {
    fprintf(stderr, "strait-sidecar wait-ready: %s\n", std::string(admin.status().message()).c_str());
    return 2;
  }
  int64_t deadline = event::monotonicMs() + timeout_ms;
  std::string last;
  for (;;) {
    int code = probe(*admin, &last);
    if (code == 200) return 0;
    if (event::monotonicMs() >= deadline) {
      fprintf(stderr, "strait-sidecar wait-ready: not ready after %lld ms: %s%s\n",
              static_cast<long long>(timeout_ms), code > 0 ? (std::to_string(code) + " ").c_str() : "",
              last.c_str());
      return 1;
    }
    usleep(static_cast<useconds_t>(interval_ms * 1000));
  }
}

int waitReadyMain(int argc, char** argv) {
  std::string admin = "127.0.0.1:9901";
  int64_t timeout_s = 60;
  for (int i = 0; i < argc; i++) {
    std::string arg = argv[i];
    if (arg == "--admin" && i + 1 < argc) {
      admin = argv[++i];
    } else if (arg == "--timeout" && i + 1 < argc) {
      timeout_s = std::atoll(argv[++i]);
    } else {
      fprintf(stderr, "usage: strait-sidecar wait-ready [--admin HOST:PORT] [--timeout SECONDS]\n");
      return 2;
    }
  }
  size_t colon = admin.rfind(':');
  int port = colon == std::string::npos ? 0 : std::atoi(admin.c_str() + colon + 1);
  if (colon == std::string::npos || port <= 0 || port > 65535 || timeout_s < 0) {
    fprintf(stderr, "strait-sidecar wait-ready: --admin must be HOST:PORT, --timeout seconds\n");
    return 2;
  }
  std::string host = admin.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  return waitReady(host, static_cast<uint16_t>(port), timeout_s * 1000);
}

}  // namespace strait::server
