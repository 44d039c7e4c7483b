// The /metrics HTTP server (see metrics_http_server.h).
#include "control/metrics_http_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace strait::control {
namespace {

constexpr absl::Duration kLingerTime = absl::Milliseconds(200);
constexpr size_t kMaxLingerBytes = 64 * 1024;

bool isTokenChar(char c) {
  // (strchr would also find the terminating NUL: a NUL is no token character.)
  return std::isalnum(static_cast<unsigned char>(c)) || (c != '\0' && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr);
}

bool isToken(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!isTokenChar(c)) return false;
  }
  return true;
}

bool isTargetChar(char c) { return c > 0x20 && c < 0x7f; }

absl::Status bad(absl::string_view why) { return absl::InvalidArgumentError(why); }

absl::Status checkHeaderLine(absl::string_view line) {
  if (line.front() == ' ' || line.front() == '\t') return bad("obsolete line folding");
  size_t colon = line.find(':');
  if (colon == absl::string_view::npos || !isToken(line.substr(0, colon))) return bad("malformed header line");
  return absl::OkStatus();
}

std::string response(absl::string_view status, absl::string_view content_type, absl::string_view body,
                     absl::string_view extra_headers = "") {
  return absl::StrCat("HTTP/1.1 ", status, "\r\nContent-Type: ", content_type, "\r\nContent-Length: ", body.size(),
                      "\r\n", extra_headers, "Connection: close\r\n\r\n", body);
}

std::string textResponse(absl::string_view status, absl::string_view body, absl::string_view extra_headers = "") {
  return response(status, "text/plain; charset=utf-8", body, extra_headers);
}

// "HOST:PORT" or "[V6]:PORT" split; false if there is no port.
bool splitHostPort(const std::string& listen, std::string* host, std::string* port) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon + 1 == listen.size()) return false;
  *host = listen.substr(0, colon);
  *port = listen.substr(colon + 1);
  if (host->size() >= 2 && host->front() == '[' && host->back() == ']') *host = host->substr(1, host->size() - 2);
  return true;
}

int boundPort(int fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return 0;
  if (addr.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
  if (addr.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
  return 0;
}

// A listening, non-blocking socket on host:port, or -1 (with *error).
int listenOn(const std::string& host, const std::string& port, std::string* error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  int rc = getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &res);
  if (rc != 0) {
    *error = gai_strerror(rc);
    return -1;
  }
  int fd = -1;
  for (addrinfo* ai = res; ai != nullptr && fd < 0; ai = ai->ai_next) {
    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) continue;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 16) != 0) {
      *error = strerror(errno);
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(res);
  return fd;
}

int remainingMs(absl::Time deadline) {
  absl::Duration left = deadline - absl::Now();
  if (left <= absl::ZeroDuration()) return 0;
  return static_cast<int>(absl::ToInt64Milliseconds(left)) + 1;
}

}  // namespace

absl::StatusOr<HttpRequestHead> parseRequestHead(absl::string_view head) {
  std::vector<absl::string_view> lines = absl::StrSplit(head, '\n');
  for (auto& line : lines) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  }
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  if (lines.empty()) return bad("empty request");
  std::vector<absl::string_view> parts = absl::StrSplit(lines[0], ' ');
  if (parts.size() != 3) return bad("request line is not 'METHOD TARGET VERSION'");
  if (!isToken(parts[0])) return bad("bad method");
  absl::string_view target = parts[1];
  if (target.empty() || target.front() != '/') return bad("target is not an absolute path");
  for (char c : target) {
    if (!isTargetChar(c)) return bad("bad character in target");
  }
  if (parts[2] != "HTTP/1.1" && parts[2] != "HTTP/1.0") return bad("not HTTP/1.0 or HTTP/1.1");
  for (size_t i = 1; i < lines.size(); ++i) {
    if (lines[i].empty()) return bad("blank line inside the head");
    if (absl::Status st = checkHeaderLine(lines[i]); !st.ok()) return st;
  }
  HttpRequestHead out;
  out.method = std::string(parts[0]);
  out.path = std::string(target.substr(0, target.find('?')));
  return out;
}

std::string metricsResponse(const absl::StatusOr<HttpRequestHead>& head, const std::function<std::string()>& render) {
  if (!head.ok()) return textResponse("400 Bad Request", absl::StrCat("bad request: ", head.status().message(), "\n"));
  if (head->method != "GET") return textResponse("405 Method Not Allowed", "only GET\n", "Allow: GET\r\n");
  if (head->path != "/metrics") return textResponse("404 Not Found", "only /metrics\n");
  return response("200 OK", "text/plain; version=0.0.4; charset=utf-8", render());
}

void MetricsHttpServer::Fd::reset(int fd) {
  if (fd_ >= 0) close(fd_);
  fd_ = fd;
}

absl::Status MetricsHttpServer::start(const std::string& listen) {
  std::string host, port, error;
  if (!splitHostPort(listen, &host, &port)) return absl::InvalidArgumentError(absl::StrCat("bad address ", listen));
  listen_.reset(listenOn(host, port, &error));
  if (listen_.get() < 0) return absl::UnavailableError(absl::StrCat("cannot listen on ", listen, ": ", error));
  port_ = boundPort(listen_.get());
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC | O_NONBLOCK) != 0) return absl::InternalError("pipe2 failed");
  stop_read_.reset(pipe_fds[0]);
  stop_write_.reset(pipe_fds[1]);
  thread_ = std::thread([this] { serveLoop(); });
  return absl::OkStatus();
}

void MetricsHttpServer::stop() {
  if (!thread_.joinable()) return;
  char c = 'x';
  (void)!write(stop_write_.get(), &c, 1);
  thread_.join();
  listen_.reset();
  stop_read_.reset();
  stop_write_.reset();
}

bool MetricsHttpServer::waitFor(int fd, short events, absl::Time deadline) {
  for (;;) {
    pollfd fds[2] = {{fd, events, 0}, {stop_read_.get(), POLLIN, 0}};
    int timeout = deadline == absl::InfiniteFuture() ? -1 : remainingMs(deadline);
    int n = poll(fds, 2, timeout);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || (fds[1].revents & POLLIN)) return false;
    return (fds[0].revents & (events | POLLHUP | POLLERR)) != 0;
  }
}

void MetricsHttpServer::serveLoop() {
  while (waitFor(listen_.get(), POLLIN, absl::InfiniteFuture())) {
    Fd conn(accept4(listen_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (conn.get() < 0) continue;  // EAGAIN, ECONNABORTED, EMFILE...: try again on the next wake
    serveConnection(conn.get());
  }
}

void MetricsHttpServer::serveConnection(int fd) {
  std::string head, out;
  if (readHead(fd, &head, &out)) out = metricsResponse(parseRequestHead(head), render_);
  if (!out.empty()) writeAll(fd, out);
  lingeringClose(fd);
}

bool MetricsHttpServer::readHead(int fd, std::string* head, std::string* error_response) {
  absl::Time deadline = absl::Now() + kReadTimeout;
  char buf[2048];
  for (;;) {
    size_t end = head->find("\n\r\n");
    if (end == std::string::npos) end = head->find("\n\n");
    if (end != std::string::npos) {
      head->resize(end + 1);
      return true;
    }
    if (head->size() > kMaxRequestBytes) {
      *error_response = textResponse("400 Bad Request", "bad request: request head too large\n");
      return false;
    }
    if (!waitFor(fd, POLLIN, deadline)) {
      if (absl::Now() >= deadline) *error_response = textResponse("408 Request Timeout", "request timeout\n");
      return false;
    }
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n <= 0) {  // closed (or reset) before the head ended
      if (n == 0 && !head->empty()) *error_response = textResponse("400 Bad Request", "bad request: incomplete\n");
      return false;
    }
    head->append(buf, static_cast<size_t>(n));
  }
}

void MetricsHttpServer::writeAll(int fd, const std::string& data) {
  absl::Time deadline = absl::Now() + kWriteTimeout;
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n > 0) {
      done += static_cast<size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (!waitFor(fd, POLLOUT, deadline)) return;
    } else {
      return;  // peer gone
    }
  }
}

// Half-closes, then reads and drops what the client still sends for a moment, so that
// closing with unread input does not reset the connection before the client read the
// response.
void MetricsHttpServer::lingeringClose(int fd) {
  shutdown(fd, SHUT_WR);
  absl::Time deadline = absl::Now() + kLingerTime;
  char buf[4096];
  size_t dropped = 0;
  while (dropped < kMaxLingerBytes && waitFor(fd, POLLIN, deadline)) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n <= 0) return;
    dropped += static_cast<size_t>(n);
  }
}

}  // namespace strait::control
