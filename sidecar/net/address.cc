#include "sidecar/net/address.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace strait::net {

uint16_t Address::port() const {
  if (storage.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&storage)->sin_port);
  if (storage.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_port);
  return 0;
}

bool Address::sameIpPort(const Address& other) const {
  if (storage.ss_family != other.storage.ss_family) return false;
  if (storage.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&storage);
    const auto* b = reinterpret_cast<const sockaddr_in*>(&other.storage);
    return a->sin_port == b->sin_port && a->sin_addr.s_addr == b->sin_addr.s_addr;
  }
  if (storage.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&storage);
    const auto* b = reinterpret_cast<const sockaddr_in6*>(&other.storage);
    return a->sin6_port == b->sin6_port && std::memcmp(&a->sin6_addr, &b->sin6_addr, sizeof(in6_addr)) == 0;
  }
  return false;
}

std::string Address::ip() const {
  char buf[INET6_ADDRSTRLEN] = {0};
  if (storage.ss_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage)->sin_addr, buf, sizeof(buf));
  } else if (storage.ss_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_addr, buf, sizeof(buf));
  }
  return buf;
}

std::string Address::toString() const {
  if (storage.ss_family == AF_INET6) {
    return absl::StrCat("[", ip(), "]:", ntohs(reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_port));
  }
  return absl::StrCat(ip(), ":", ntohs(reinterpret_cast<const sockaddr_in*>(&storage)->sin_port));
}

absl::StatusOr<Address> makeAddress(const std::string& ip, uint32_t port) {
  if (port > 65535) return absl::InvalidArgumentError(absl::StrCat("port out of range: ", port));
  Address a;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&a.storage);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&a.storage);
  if (inet_pton(AF_INET, ip.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    a.len = sizeof(sockaddr_in);
    return a;
  }
  if (inet_pton(AF_INET6, ip.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    a.len = sizeof(sockaddr_in6);
    return a;
  }
  return absl::InvalidArgumentError(absl::StrCat("not an IP address: '", ip, "'"));
}

absl::StatusOr<Address> parseHostPort(const std::string& host_port) {
  size_t colon = host_port.rfind(':');
  if (colon == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat("expected host:port, got '", host_port, "'"));
  }
  std::string host = host_port.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  uint32_t port = 0;
  if (!absl::SimpleAtoi(host_port.substr(colon + 1), &port)) {
    return absl::InvalidArgumentError(absl::StrCat("bad port in '", host_port, "'"));
  }
  return makeAddress(host, port);
}

absl::StatusOr<int> listenTcp(const Address& addr) {
  int fd = socket(addr.storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", strerror(errno)));
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (bind(fd, reinterpret_cast<const sockaddr*>(&addr.storage), addr.len) != 0 ||
      listen(fd, 4096) != 0) {
    std::string err = strerror(errno);
    close(fd);
    return absl::FailedPreconditionError(absl::StrCat("bind ", addr.toString(), ": ", err));
  }
  return fd;
}

absl::StatusOr<int> connectTcp(const Address& addr) {
  int fd = socket(addr.storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::ResourceExhaustedError(absl::StrCat("socket: ", strerror(errno)));
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (connect(fd, reinterpret_cast<const sockaddr*>(&addr.storage), addr.len) != 0 &&
      errno != EINPROGRESS) {
    std::string err = strerror(errno);
    close(fd);
    return absl::UnavailableError(absl::StrCat("connect ", addr.toString(), ": ", err));
  }
  return fd;
}

uint16_t localPort(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
}

}  // namespace strait::net

namespace strait::net {
namespace {
// SO_ORIGINAL_DST (linux/netfilter_ipv4.h) and IP6T_SO_ORIGINAL_DST
// (linux/netfilter_ipv6/ip6_tables.h) are both 80; the kernel headers clash with glibc's, so
// the value is spelled here.
constexpr int kSoOriginalDst = 80;

std::string withoutV4Mapping(std::string ip) {
  if (ip.rfind("::ffff:", 0) == 0 && ip.find('.') != std::string::npos) ip.erase(0, 7);
  return ip;
}

}  // namespace

std::optional<Address> originalDestination(int fd) {
  Address local;
  local.len = sizeof(local.storage);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&local.storage), &local.len) != 0) return std::nullopt;
  Address orig;
  orig.len = sizeof(orig.storage);
  bool found = false;
  if (local.storage.ss_family == AF_INET6) {
    found = getsockopt(fd, SOL_IPV6, kSoOriginalDst, &orig.storage, &orig.len) == 0;
  }
  if (!found) {  // IPv4, or an IPv4 client on a dual-stack socket
    orig.len = sizeof(sockaddr_in);
    found = getsockopt(fd, SOL_IP, kSoOriginalDst, &orig.storage, &orig.len) == 0;
  }
  if (!found) return std::nullopt;
  if (orig.port() == local.port() && withoutV4Mapping(orig.ip()) == withoutV4Mapping(local.ip())) {
    return std::nullopt;  // not redirected: the client connected to the listener itself
  }
  return orig;
}

}  // namespace strait::net
