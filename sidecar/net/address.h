// IP socket addresses and the socket calls the proxy needs. Thread-safe (pure functions).
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"

namespace strait::net {

struct Address {
  sockaddr_storage storage{};
  socklen_t len = 0;
  std::string toString() const;  // "1.2.3.4:80" or "[::1]:80"
  std::string ip() const;        // "1.2.3.4" or "::1"
  uint16_t port() const;         // host byte order; 0 if unset
  // Same family, IP and port (no allocation; for matching per connection).
  bool sameIpPort(const Address& other) const;
};

// Parses an IP literal and port.
absl::StatusOr<Address> makeAddress(const std::string& ip, uint32_t port);
// Parses "ip:port" or "[ipv6]:port".
absl::StatusOr<Address> parseHostPort(const std::string& host_port);

// A non-blocking listening socket (SO_REUSEADDR, backlog 4096). Errors name the address
// and errno text, e.g. "bind 127.0.0.1:10000: Address already in use".
absl::StatusOr<int> listenTcp(const Address& addr);
// Starts a non-blocking connect; returns the fd (connect may still be in progress).
absl::StatusOr<int> connectTcp(const Address& addr);
// The locally bound port of a socket.
uint16_t localPort(int fd);
// An accepted connection's original destination, when netfilter redirected it (nftables
// `redirect`, SO_ORIGINAL_DST for IPv4, IP6T_SO_ORIGINAL_DST for IPv6). Nullopt when the
// connection was not redirected: no NAT record, or the destination is the socket itself
// (a client that connected to the listener directly).
std::optional<Address> originalDestination(int fd);

}  // namespace strait::net
