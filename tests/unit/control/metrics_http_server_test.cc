// The /metrics HTTP server (control/metrics_http_server.h): the head parser, and the real
// server on 127.0.0.1 port 0.
#include "control/metrics_http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace strait::control {
namespace {

TEST(ParseRequestHead, AcceptsOriginFormGetAndStripsTheQuery) {
  auto head = parseRequestHead("GET /metrics?x=1 HTTP/1.1\r\nHost: a\r\nAccept: */*\r\n\r\n");
  ASSERT_TRUE(head.ok()) << head.status();
  EXPECT_EQ(head->method, "GET");
  EXPECT_EQ(head->path, "/metrics");
  EXPECT_TRUE(parseRequestHead("GET /metrics HTTP/1.0\n\n").ok());
}

TEST(ParseRequestHead, RefusesMalformedHeads) {
  for (const char* bad : {"", "\r\n", "garbage\r\n\r\n", "GET /metrics\r\n\r\n", "GET  /metrics HTTP/1.1\r\n",
                          "GET metrics HTTP/1.1\r\n", "GET /met rics HTTP/1.1\r\n", "GET /metrics HTTP/2.0\r\n",
                          "G(T /metrics HTTP/1.1\r\n", "GET /metrics HTTP/1.1\r\nno colon\r\n",
                          "GET /metrics HTTP/1.1\r\n folded: x\r\n", "GET /metrics HTTP/1.1\r\n: empty name\r\n",
                          "GET /\x01 HTTP/1.1\r\n"}) {
    EXPECT_FALSE(parseRequestHead(bad).ok()) << bad;
  }
  EXPECT_FALSE(parseRequestHead(std::string("G\0T /metrics HTTP/1.1\r\n", 23)).ok());
}

TEST(MetricsResponse, StatusByMethodAndPath) {
  auto render = [] { return std::string("m 1\n"); };
  EXPECT_EQ(metricsResponse(parseRequestHead("GET /metrics HTTP/1.1\r\n"), render).rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
  EXPECT_EQ(metricsResponse(parseRequestHead("POST /metrics HTTP/1.1\r\n"), render).rfind("HTTP/1.1 405", 0), 0u);
  EXPECT_EQ(metricsResponse(parseRequestHead("GET /other HTTP/1.1\r\n"), render).rfind("HTTP/1.1 404", 0), 0u);
  EXPECT_EQ(metricsResponse(parseRequestHead("bad"), render).rfind("HTTP/1.1 400", 0), 0u);
  std::string ok = metricsResponse(parseRequestHead("GET /metrics HTTP/1.1\r\n"), render);
  EXPECT_NE(ok.find("Content-Length: 4\r\n"), std::string::npos);
  EXPECT_NE(ok.find("Connection: close\r\n"), std::string::npos);
  EXPECT_EQ(ok.substr(ok.size() - 4), "m 1\n");
}

int connectTo(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Sends `request` on a new connection and reads until the server closes (bounded wait).
std::string exchange(int port, const std::string& request) {
  int fd = connectTo(port);
  if (fd < 0) return "connect failed";
  (void)!send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string out;
  char buf[4096];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 10000) <= 0) break;  // bounds a hang only
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return out;
}

TEST(MetricsHttpServer, ServesAndAnswersGarbageWith400) {
  MetricsHttpServer server([] { return std::string("strait_x 1\n"); });
  ASSERT_TRUE(server.start("127.0.0.1:0").ok());
  ASSERT_GT(server.port(), 0);
  EXPECT_EQ(exchange(server.port(), "\x16\x03\x01 not http at all\r\n\r\n").rfind("HTTP/1.1 400", 0), 0u);
  std::string big = "GET /metrics HTTP/1.1\r\nX: " + std::string(MetricsHttpServer::kMaxRequestBytes + 10, 'a');
  EXPECT_EQ(exchange(server.port(), big).rfind("HTTP/1.1 400", 0), 0u);
  // A head that never ends: 408 after kReadTimeout.
  EXPECT_EQ(exchange(server.port(), "GET /metrics HTTP/1.1\r\n").rfind("HTTP/1.1 408", 0), 0u);
  std::string ok = exchange(server.port(), "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(ok.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << ok;
  EXPECT_EQ(ok.substr(ok.size() - 11), "strait_x 1\n");
}

TEST(MetricsHttpServer, ASilentClientIsCutOffAndStopIsPrompt) {
  MetricsHttpServer server([] { return std::string("strait_x 1\n"); });
  ASSERT_TRUE(server.start("127.0.0.1:0").ok());
  int silent = connectTo(server.port());
  ASSERT_GE(silent, 0);
  // The silent client holds the server for at most kReadTimeout; the next request is served.
  std::string ok = exchange(server.port(), "GET /metrics HTTP/1.1\r\n\r\n");
  EXPECT_EQ(ok.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << ok;
  int silent2 = connectTo(server.port());
  ASSERT_GE(silent2, 0);
  // stop() wakes the server's poll: it returns with silent clients still connected (no
  // clock is read here: a timing bound would be a flaky test on a busy machine).
  server.stop();
  close(silent);
  close(silent2);
}

TEST(MetricsHttpServer, RefusesABadAddress) {
  MetricsHttpServer server([] { return std::string(); });
  EXPECT_FALSE(server.start("no-port").ok());
}

}  // namespace
}  // namespace strait::control
