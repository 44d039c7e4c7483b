#include "tests/upstream/server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <atomic>
#include <chrono>
#include <cstring>
#include <strings.h>
#include <memory>
#include <queue>
#include <unordered_map>
#include <vector>

#include "tests/upstream/request_parser.h"

namespace strait::upstream {
namespace {

constexpr int64_t kMaxDelayMs = 120000;
constexpr int64_t kLingerMs = 500;  // how long a closing connection drains input
constexpr size_t kMaxReplySize = size_t{1} << 30;

int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch()).count();
}

const char* reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 413: return "Content Too Large";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Status";
  }
}

// The status of requests without a status knob, set by a set_status knob (0: 200). Shared
// by all worker threads: it is the upstream's state, e.g. its health as a check sees it.
std::atomic<int> g_default_status{0};

// Per-request reply knobs; see server.h.
struct Knobs {
  int status = 0;           // 0: not given (the default status applies)
  int set_status = -1;      // -1: not given
  int64_t delay_ms = 0;
  std::optional<size_t> size;
  bool close = false;
  bool reset = false;  // close the connection without any reply
  std::optional<size_t> abort_after;  // send the head and this many body bytes, then close
};

std::atomic<int> g_requests_seen{0};  // across threads, for --fail-first

bool parseInt(const std::string& s, int64_t lo, int64_t hi, int64_t* out) {
  if (s.empty() || s.size() > 12) return false;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  if (v < lo || v > hi) return false;
  *out = v;
  return true;
}

// Applies one knob by its short name; false if the value is invalid.
bool applyKnob(const std::string& key, const std::string& value, Knobs* k) {
  int64_t v = 0;
  if (key == "status") {
    if (!parseInt(value, 200, 599, &v)) return false;
    k->status = static_cast<int>(v);
  } else if (key == "delay_ms") {
    if (!parseInt(value, 0, kMaxDelayMs, &k->delay_ms)) return false;
  } else if (key == "size") {
    if (!parseInt(value, 0, kMaxReplySize, &v)) return false;
    k->size = static_cast<size_t>(v);
  } else if (key == "set_status") {
    if (!parseInt(value, 0, 599, &v) || (v != 0 && v < 200)) return false;
    k->set_status = static_cast<int>(v);
  } else if (key == "close") {
    k->close = value == "1" || value == "true";
  } else if (key == "reset") {
    k->reset = value == "1" || value == "true";
  } else if (key == "abort_after") {
    if (!parseInt(value, 0, kMaxReplySize, &v)) return false;
    k->abort_after = static_cast<size_t>(v);
  }
  return true;
}

bool parseKnobs(const Request& req, Knobs* k) {
  for (size_t start = 0; start < req.query.size();) {
    size_t amp = req.query.find('&', start);
    if (amp == std::string::npos) amp = req.query.size();
    std::string pair = req.query.substr(start, amp - start);
    size_t eq = pair.find('=');
    if (eq != std::string::npos && !applyKnob(pair.substr(0, eq), pair.substr(eq + 1), k)) {
      return false;
    }
    start = amp + 1;
  }
  static const std::pair<const char*, const char*> kHeaders[] = {
      {"x-upstream-status", "status"}, {"x-upstream-delay-ms", "delay_ms"},
      {"x-upstream-size", "size"}, {"x-upstream-close", "close"}, {"x-upstream-reset", "reset"},
      {"x-upstream-set-status", "set_status"}, {"x-upstream-abort-after", "abort_after"}};
  for (const auto& [header, key] : kHeaders) {
    const std::string* v = req.header(header);
    if (v != nullptr && !applyKnob(key, *v, k)) return false;
  }
  return true;
}

std::string echoBody(const Request& req) {
  std::string body = req.request_line + "\n";
  for (const auto& [k, v] : req.headers) body += k + ": " + v + "\n";
  body += "\n";
  body += req.body;
  if (!req.trailers.empty()) {
    body += "\n[trailers]\n";
    for (const auto& t : req.trailers) body += t + "\n";
  }
  return body;
}

std::string responseHead(int status, size_t length, bool close, const Options& opts) {
  std::string head = "HTTP/1.1 " + std::to_string(status) + " " + reason(status) + "\r\n";
  head += "content-type: text/plain\r\ncontent-length: " + std::to_string(length) + "\r\n";
  head += "x-upstream-name: " + opts.name + "\r\n";
  if (close) head += "connection: close\r\n";
  return head + "\r\n";
}

// One accepted connection. Owned by the Worker's map, keyed by fd.
struct Conn {
  int fd = -1;
  uint64_t serial = 0;      // distinguishes a reused fd number in stale timers
  std::string in;           // received bytes not yet discarded
  size_t in_pos = 0;        // parse position in `in`
  RequestParser parser;
  std::string out;          // response bytes being written
  size_t out_pos = 0;       // bytes of `out` already written
  std::string delayed;      // response waiting for its delay timer
  bool waiting = false;     // a delayed response is pending
  bool aborting = false;    // a cut response was sent: close when the timer fires
  bool close_after = false; // close once `out` is written
  bool peer_eof = false;    // read() returned 0
  bool lingering = false;   // write side shut; draining input until EOF or timer
};

struct Timer {
  int64_t deadline_ms;
  int fd;
  uint64_t serial;
  bool operator>(const Timer& o) const { return deadline_ms > o.deadline_ms; }
};

class Worker {
 public:
  Worker(int listen_fd, const Options& opts) : listen_fd_(listen_fd), opts_(opts) {}
  void run();

 private:
  void acceptAll();
  void onEvent(Conn* c, uint32_t events);
  void readAll(Conn* c);
  void process(Conn* c);
  void respond(Conn* c, const Request& req);
  void startReply(Conn* c, std::string response, bool close);
  bool flush(Conn* c);
  void beginClose(Conn* c);
  void destroy(Conn* c);
  void fireTimers();
  int epollTimeout() const;
  bool alive(int fd, uint64_t serial) const {
    auto it = conns_.find(fd);
    return it != conns_.end() && it->second->serial == serial;
  }

  int listen_fd_;
  const Options& opts_;
  int ep_ = -1;
  uint64_t next_serial_ = 1;
  std::unordered_map<int, std::unique_ptr<Conn>> conns_;
  std::priority_queue<Timer, std::vector<Timer>, std::greater<Timer>> timers_;
  std::string fixed_body_;  // --reply or --size body, built once
  bool has_fixed_ = false;
};

void Worker::run() {
  ep_ = epoll_create1(EPOLL_CLOEXEC);
  if (opts_.reply) fixed_body_ = *opts_.reply, has_fixed_ = true;
  if (opts_.size) fixed_body_.assign(*opts_.size, 'x'), has_fixed_ = true;
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = nullptr;  // nullptr marks the listener
  epoll_ctl(ep_, EPOLL_CTL_ADD, listen_fd_, &ev);
  std::vector<epoll_event> events(256);
  for (;;) {
    int n = epoll_wait(ep_, events.data(), static_cast<int>(events.size()), epollTimeout());
    for (int i = 0; i < n; ++i) {
      if (events[i].data.ptr == nullptr) acceptAll();
      else onEvent(static_cast<Conn*>(events[i].data.ptr), events[i].events);
    }
    fireTimers();
  }
}

int Worker::epollTimeout() const {
  if (timers_.empty()) return -1;
  int64_t d = timers_.top().deadline_ms - nowMs();
  return d < 0 ? 0 : static_cast<int>(d);
}

void Worker::acceptAll() {
  for (;;) {
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;  // EAGAIN, or EMFILE etc.: try again on the next event
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    auto conn = std::make_unique<Conn>();
    conn->fd = fd;
    conn->serial = next_serial_++;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    ev.data.ptr = conn.get();
    epoll_ctl(ep_, EPOLL_CTL_ADD, fd, &ev);
    conns_[fd] = std::move(conn);
  }
}

void Worker::onEvent(Conn* c, uint32_t events) {
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) readAll(c);
  if (c->lingering) {
    if (c->peer_eof || (events & (EPOLLHUP | EPOLLERR))) destroy(c);
    return;
  }
  if (events & (EPOLLHUP | EPOLLERR)) return destroy(c);
  if (!flush(c)) return;
  process(c);
}

void Worker::readAll(Conn* c) {
  char buf[65536];
  for (;;) {
    ssize_t n = read(c->fd, buf, sizeof(buf));
    if (n > 0) {
      if (!c->lingering) c->in.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n == 0) c->peer_eof = true;
    return;  // EOF, EAGAIN or error (an error shows up again as EPOLLERR)
  }
}

// Parses and answers requests until one is pending (delay, partial write) or input runs out.
void Worker::process(Conn* c) {
  while (!c->waiting && !c->lingering && c->out_pos == c->out.size()) {
    RequestParser::Result r = c->parser.parse(c->in, &c->in_pos);
    if (r == RequestParser::Result::kError) {
      int status = c->parser.errorStatus();
      std::string body = std::string(reason(status)) + "\n";
      startReply(c, responseHead(status, body.size(), true, opts_) + body, true);
      return;
    }
    if (r == RequestParser::Result::kNeedMore) {
      c->in.erase(0, c->in_pos);
      c->in_pos = 0;
      if (c->peer_eof) destroy(c);
      return;
    }
    Request req = c->parser.request();
    c->parser.reset();
    int fd = c->fd;
    uint64_t serial = c->serial;
    respond(c, req);
    if (!alive(fd, serial)) return;  // destroyed while writing
  }
}

// Caching knobs: every x-upstream-header-NAME request field becomes a NAME response field;
// x-upstream-etag / x-upstream-last-modified add etag / last-modified and answer 304 to a
// request whose if-none-match (weakly) / if-modified-since is that same value.
std::string cacheHeaders(const Request& req, bool* not_modified) {
  std::string out;
  constexpr std::string_view kPrefix = "x-upstream-header-";
  for (const auto& [name, value] : req.headers) {
    if (name.size() > kPrefix.size() && strncasecmp(name.c_str(), kPrefix.data(), kPrefix.size()) == 0) {
      out += name.substr(kPrefix.size()) + ": " + value + "\r\n";
    }
  }
  const std::string* etag = req.header("x-upstream-etag");
  const std::string* lm = req.header("x-upstream-last-modified");
  const std::string* inm = req.header("if-none-match");
  const std::string* ims = req.header("if-modified-since");
  if (etag) out += "etag: " + *etag + "\r\n";
  if (lm) out += "last-modified: " + *lm + "\r\n";
  // If-None-Match compares weakly (RFC 9110 13.1.2): W/"x" matches "x".
  auto opaque = [](std::string_view tag) { return tag.substr(0, 2) == "W/" ? tag.substr(2) : tag; };
  *not_modified = (etag && inm && opaque(*inm) == opaque(*etag)) || (!inm && lm && ims && *ims == *lm);
  return out;
}

void Worker::respond(Conn* c, const Request& req) {
  if (req.path == "/__count") {  // the number of requests answered so far (not counted itself)
    std::string body = std::to_string(g_requests_seen.load()) + "\n";
    return startReply(c, responseHead(200, body.size(), !req.keep_alive, opts_) + body, !req.keep_alive);
  }
  Knobs k;
  int seen = g_requests_seen.fetch_add(1);
  bool fail_now = seen < opts_.fail_first;
  if (!parseKnobs(req, &k)) {
    std::string body = "bad x-upstream knob\n";
    return startReply(c, responseHead(400, body.size(), true, opts_) + body, true);
  }
  if (k.reset) return destroy(c);
  if (k.set_status >= 0) g_default_status.store(k.set_status);
  if (k.status == 0) {  // no status knob: --fail-first, then set_status, then --status
    int set = k.set_status >= 0 ? 0 : g_default_status.load();
    k.status = fail_now ? 503 : set != 0 ? set : opts_.status;
  }
  bool not_modified = false;
  std::string extra = cacheHeaders(req, &not_modified);
  if (not_modified) k.status = 304;
  bool close = k.close || !req.keep_alive;
  bool no_body = k.status == 204 || k.status == 304;
  std::string body;
  if (no_body) body.clear();
  else if (k.size) body.assign(*k.size, 'x');
  else if (has_fixed_) body = fixed_body_;
  else body = echoBody(req);
  std::string response = responseHead(k.status, body.size(), close, opts_);
  // How many request body bytes arrived (bodies over 16 MiB are counted, not kept).
  response.insert(response.size() - 2, "x-upstream-body-bytes: " + std::to_string(req.body_bytes) + "\r\n");
  // This process's request count including this one, and the caching knobs' fields.
  response.insert(response.size() - 2, "x-upstream-request-count: " + std::to_string(seen + 1) + "\r\n" + extra);
  // Request trailers, if any, as "name: value" joined by "; ".
  if (!req.trailers.empty()) {
    std::string joined;
    for (const auto& t : req.trailers) joined += (joined.empty() ? "" : "; ") + t;
    response.insert(response.size() - 2, "x-upstream-trailers: " + joined + "\r\n");
  }
  if (req.method != "HEAD") response += body;
  if (k.abort_after && *k.abort_after < body.size() && req.method != "HEAD") {
    response.resize(response.size() - body.size() + *k.abort_after);  // framing promises more
    close = true;
    if (k.delay_ms > 0) {  // the cut response at once, the close after the delay
      c->waiting = true;
      c->aborting = true;
      timers_.push(Timer{nowMs() + k.delay_ms, c->fd, c->serial});
      return startReply(c, std::move(response), false);
    }
  }
  if (k.delay_ms == 0) return startReply(c, std::move(response), close);
  c->waiting = true;
  c->close_after = close;
  c->delayed = std::move(response);
  timers_.push(Timer{nowMs() + k.delay_ms, c->fd, c->serial});
}

void Worker::startReply(Conn* c, std::string response, bool close) {
  c->out = std::move(response);
  c->out_pos = 0;
  c->close_after = close;
  flush(c);
}

// Writes pending output. Returns false if the connection was destroyed.
bool Worker::flush(Conn* c) {
  while (c->out_pos < c->out.size()) {
    ssize_t n = send(c->fd, c->out.data() + c->out_pos, c->out.size() - c->out_pos,
                     MSG_NOSIGNAL);
    if (n < 0 && errno == EAGAIN) return true;  // EPOLLOUT (edge) resumes us
    if (n <= 0) return destroy(c), false;
    c->out_pos += static_cast<size_t>(n);
  }
  if (!c->out.empty()) {
    c->out.clear();
    c->out_pos = 0;
    if (c->close_after) return beginClose(c), false;
  }
  return true;
}

// Shuts the write side and drains input for a while, so unread request bytes do not
// turn the close into a RST that could destroy the response in flight.
void Worker::beginClose(Conn* c) {
  shutdown(c->fd, SHUT_WR);
  c->lingering = true;
  c->in.clear();
  readAll(c);
  if (c->peer_eof) return destroy(c);
  timers_.push(Timer{nowMs() + kLingerMs, c->fd, c->serial});
}

void Worker::destroy(Conn* c) {
  int fd = c->fd;
  close(fd);  // also removes it from the epoll set
  conns_.erase(fd);
}

void Worker::fireTimers() {
  int64_t now = nowMs();
  while (!timers_.empty() && timers_.top().deadline_ms <= now) {
    Timer t = timers_.top();
    timers_.pop();
    if (!alive(t.fd, t.serial)) continue;
    Conn* c = conns_[t.fd].get();
    if (c->lingering || c->aborting) {
      destroy(c);
    } else if (c->waiting) {
      c->waiting = false;
      startReply(c, std::move(c->delayed), c->close_after);
      if (alive(t.fd, t.serial)) process(c);
    }
  }
}

}  // namespace

int bindListener(const std::string& host, uint16_t port, std::string* error) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    *error = "bad IPv4 address " + host;
    return -1;
  }
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || listen(fd, 4096) != 0) {
    *error = "cannot listen on " + host + ":" + std::to_string(port) + ": " + std::strerror(errno);
    close(fd);
    return -1;
  }
  return fd;
}

uint16_t boundPort(int fd) {
  sockaddr_in addr{};
  socklen_t len = sizeof(addr);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return 0;
  return ntohs(addr.sin_port);
}

void runWorker(int listen_fd, const Options& opts) {
  Worker(listen_fd, opts).run();
}

}  // namespace strait::upstream
