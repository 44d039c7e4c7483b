// DownstreamSession (HTTP/1.1) over a socketpair, the test playing the client, with fake
// upstream pools behind the router: a keep-alive exchange, pipelined requests served one at a
// time in order, a parse error answered 400 and closed, no route, and a client that goes
// away mid-request cancelling the upstream exchange, the lingering close, and the request-head
// timeout.
#include "sidecar/session/downstream_session.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <google/protobuf/util/json_util.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "tests/unit/sidecar/fakes/fake_worker_context.h"
#include "tests/unit/sidecar/fakes/test_config.h"

namespace strait::proxy::testing {
namespace {

const char kRoutes[] = R"({"name": "rt", "virtual_hosts": [
  {"name": "svc", "domains": ["svc"], "routes": [{"match": {"prefix": "/"}, "route": {"cluster": "c"}}]}]})";

class DownstreamSessionTest : public ::testing::Test, public SessionOwner {
 protected:
  void SetUp() override {
    strait::v1::RouteConfiguration rc;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(kRoutes, &rc).ok());
    auto table = RouteTable::build(rc);
    ASSERT_TRUE(table.ok()) << table.status();
    auto snap = testSnapshot({testCluster("c", {1})});
    ListenerInfo listener;
    listener.name = "l";
    listener.request_headers_timeout_ms = 100;
    listener.body_min_bytes_per_second = 1000;  // 100 bytes per 100 ms window
    listener.body_rate_window_ms = 100;
    listener.routes = table->get();
    snap->route_tables["rt"] = std::move(*table);
    snap->listeners.push_back(std::move(listener));
    ctx_.setSnapshot(snap);
    int fds[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
    client_ = fds[0];
    session_ = std::make_unique<DownstreamSession>(ctx_, fds[1], "10.0.0.9", "l", *this);
  }
  void TearDown() override {
    // A session is deleted only once its connection closed (as the worker does): destroyed
    // while open, its connection could still deliver an event to it before the deferred
    // deletion. So the client hangs up and the session closes itself.
    if (client_ >= 0) close(client_);
    EXPECT_TRUE(ctx_.runUntil([&] { return session_ == nullptr; }));
    ctx_.runPending();
  }
  void onSessionClosed(DownstreamSession* session) override {
    EXPECT_EQ(session, session_.get());
    closed_ = true;
    ctx_.dispatcher().deferredDelete(std::move(session_));
  }

  void send(const std::string& data) { ASSERT_EQ(write(client_, data.data(), data.size()), ssize_t(data.size())); }
  // Reads what the session sent; false once the session closed the connection.
  bool pump() {
    char buf[4096];
    for (;;) {
      ssize_t n = read(client_, buf, sizeof(buf));
      if (n > 0) {
        received_.append(buf, static_cast<size_t>(n));
        continue;
      }
      return n < 0;  // EAGAIN: still open; 0: EOF
    }
  }
  bool waitFor(const std::string& text) {
    return ctx_.runUntil([&] {
      pump();
      return absl::StrContains(received_, text);
    });
  }
  bool waitEof() { return ctx_.runUntil([&] { return !pump(); }); }
  bool waitExchange(size_t i) { return ctx_.runUntil([&] { return ctx_.exchangeCount() > i; }); }
  std::string lower() const { return absl::AsciiStrToLower(received_); }

  FakeWorkerContext ctx_;
  std::unique_ptr<DownstreamSession> session_;
  int client_ = -1;
  bool closed_ = false;
  std::string received_;
};

const char kGet[] = "GET /a HTTP/1.1\r\nHost: svc\r\n\r\n";

TEST_F(DownstreamSessionTest, KeepAliveServesTwoRequestsOnOneConnection) {
  send(kGet);
  ASSERT_TRUE(waitExchange(0));
  EXPECT_EQ(ctx_.exchange(0)->head.target, "/a");
  EXPECT_EQ(*ctx_.exchange(0)->head.headers.get("x-forwarded-for"), "10.0.0.9");
  ctx_.exchange(0)->respond(200, "hello");
  ASSERT_TRUE(waitFor("hello"));
  EXPECT_TRUE(absl::StartsWith(received_, "HTTP/1.1 200"));
  EXPECT_FALSE(absl::StrContains(lower(), "connection: close"));
  received_.clear();
  send("GET /b HTTP/1.1\r\nHost: svc\r\n\r\n");
  ASSERT_TRUE(waitExchange(1));
  EXPECT_EQ(ctx_.exchange(1)->head.target, "/b");
  ctx_.exchange(1)->respond(201, "again");
  ASSERT_TRUE(waitFor("again"));
  EXPECT_TRUE(absl::StartsWith(received_, "HTTP/1.1 201"));
  EXPECT_TRUE(pump());  // still open
  EXPECT_FALSE(closed_);
  EXPECT_EQ(ctx_.stats().downstream_rq_total.load(), 2u);
  EXPECT_EQ(ctx_.stats().downstream_rq_by_class[2].load(), 2u);
}

TEST_F(DownstreamSessionTest, PipelinedRequestsAreServedOneAtATimeInOrder) {
  send(std::string(kGet) + "GET /second HTTP/1.1\r\nHost: svc\r\n\r\n");
  ASSERT_TRUE(waitExchange(0));
  for (int i = 0; i < 5; i++) ctx_.runPending();
  EXPECT_EQ(ctx_.exchangeCount(), 1u);  // the second waits for the first response
  ctx_.exchange(0)->respond(200, "one");
  ASSERT_TRUE(waitExchange(1));
  EXPECT_EQ(ctx_.exchange(1)->head.target, "/second");
  ctx_.exchange(1)->respond(200, "two");
  ASSERT_TRUE(waitFor("two"));
  size_t one = received_.find("one");
  ASSERT_NE(one, std::string::npos);
  EXPECT_LT(one, received_.find("two"));
  EXPECT_FALSE(closed_);
}

TEST_F(DownstreamSessionTest, ParseErrorIs400AndCloses) {
  send("GET /a HTTP/1.1\r\nHost: svc\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n");
  ASSERT_TRUE(waitEof());
  EXPECT_TRUE(absl::StartsWith(received_, "HTTP/1.1 400")) << received_;
  EXPECT_TRUE(absl::StrContains(lower(), "connection: close"));
  EXPECT_EQ(ctx_.exchangeCount(), 0u);
  EXPECT_EQ(ctx_.stats().downstream_rq_bad_request.load(), 1u);
  close(client_);
  client_ = -1;
  ASSERT_TRUE(ctx_.runUntil([&] { return closed_; }));
}

// A client that never closes holds the lingering connection only for kLingerMs.
TEST_F(DownstreamSessionTest, LingerEndsWithoutTheClient) {
  send("GET /a HTTP/1.1\r\nHost: svc\r\nConnection: close\r\n\r\n");
  ASSERT_TRUE(waitExchange(0));
  ctx_.exchange(0)->respond(200, "last");
  ASSERT_TRUE(waitEof());
  // The bound is the linger timer; the wait below only bounds a hang.
  ASSERT_TRUE(ctx_.runUntil([&] { return closed_; }, 30 * DownstreamSession::kLingerMs));
}

// "connection: close" with a pipelined request already sent: the response is followed by FIN
// (not RST, which could destroy it unread), the session reads and drops what the client still
// sends, and ends when the client closes.
TEST_F(DownstreamSessionTest, CloseAfterResponseLingersUntilTheClientCloses) {
  send("GET /a HTTP/1.1\r\nHost: svc\r\nConnection: close\r\n\r\n" + std::string(kGet));
  ASSERT_TRUE(waitExchange(0));
  ctx_.exchange(0)->respond(200, "last");
  ASSERT_TRUE(waitEof());
  EXPECT_TRUE(absl::StrContains(received_, "last"));
  for (int i = 0; i < 5; i++) ctx_.runPending();
  EXPECT_FALSE(closed_);                   // lingering: the client has not closed yet
  send(std::string(64 << 10, 'x'));        // read and dropped, not parsed
  for (int i = 0; i < 5; i++) ctx_.runPending();
  EXPECT_EQ(ctx_.exchangeCount(), 1u);
  close(client_);
  client_ = -1;
  ASSERT_TRUE(ctx_.runUntil([&] { return closed_; }));
}

// A head that stops arriving: 408 and the connection closes once request_headers_timeout
// (100 ms here) has passed since its first byte.
TEST_F(DownstreamSessionTest, SlowHeadGets408) {
  send("GET /a HTTP/1.1\r\nHost: svc\r\nX-Slow: ");
  ASSERT_TRUE(waitEof());
  EXPECT_TRUE(absl::StartsWith(received_, "HTTP/1.1 408")) << received_;
  EXPECT_TRUE(absl::StrContains(lower(), "x-strait-local-reply: request_header_timeout"));
  EXPECT_EQ(ctx_.stats().downstream_rq_header_timeout.load(), 1u);
  EXPECT_EQ(ctx_.exchangeCount(), 0u);
}

// An upload that stops coming: 408 once a window (100 ms) brought fewer than its 100
// bytes; the upstream exchange is cancelled and the connection closes.
TEST_F(DownstreamSessionTest, SlowBodyGets408) {
  send("POST /up HTTP/1.1\r\nHost: svc\r\nContent-Length: 1000\r\n\r\n0123456789");
  ASSERT_TRUE(waitEof());
  EXPECT_TRUE(absl::StartsWith(received_, "HTTP/1.1 408")) << received_;
  EXPECT_TRUE(absl::StrContains(lower(), "x-strait-local-reply: request_body_timeout"));
  EXPECT_TRUE(absl::StrContains(lower(), "connection: close"));
  EXPECT_EQ(ctx_.stats().downstream_rq_body_timeout.load(), 1u);
}

// A body without a declared length (chunked: a stream at the application's pace) is not
// held to the rate: it is still open after several windows.
TEST_F(DownstreamSessionTest, ChunkedBodyIsNotHeldToTheRate) {
  send("POST /stream HTTP/1.1\r\nHost: svc\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n");
  ASSERT_TRUE(waitExchange(0));
  ctx_.runUntil([] { return false; }, 350);  // three and a half windows
  EXPECT_TRUE(pump()) << "closed: " << received_;
  EXPECT_EQ(ctx_.stats().downstream_rq_body_timeout.load(), 0u);
}

// A head in pieces, each read by the session before the next is sent, within the timeout.
TEST_F(DownstreamSessionTest, HeadInPiecesIsServed) {
  for (const char* piece : {"GET /pieces HTTP/1.1\r\n", "Host: svc\r\n"}) {
    send(piece);
    ASSERT_TRUE(ctx_.runUntil([&] { return session_->headStarted(); }));
    ctx_.runPending();
    EXPECT_EQ(ctx_.exchangeCount(), 0u);
  }
  send("\r\n");
  ASSERT_TRUE(waitExchange(0));
  EXPECT_EQ(ctx_.exchange(0)->head.target, "/pieces");
}

TEST_F(DownstreamSessionTest, NoRouteIs404AndKeepsTheConnection) {
  send("GET /a HTTP/1.1\r\nHost: elsewhere\r\n\r\n");
  ASSERT_TRUE(waitFor("\r\n\r\n"));
  EXPECT_TRUE(absl::StartsWith(received_, "HTTP/1.1 404")) << received_;
  EXPECT_TRUE(absl::StrContains(lower(), "x-strait-local-reply: route_not_found"));
  received_.clear();
  send(kGet);
  ASSERT_TRUE(waitExchange(0));
  EXPECT_FALSE(closed_);
}

TEST_F(DownstreamSessionTest, ClientGoneMidRequestCancelsTheUpstream) {
  send("POST /a HTTP/1.1\r\nHost: svc\r\nContent-Length: 10\r\n\r\nabc");
  ASSERT_TRUE(waitExchange(0));
  ASSERT_TRUE(ctx_.runUntil([&] { return ctx_.exchange(0)->body == "abc"; }));
  close(client_);
  client_ = -1;
  ASSERT_TRUE(ctx_.runUntil([&] { return closed_ && ctx_.exchange(0)->destroyed; }));
  EXPECT_TRUE(ctx_.exchange(0)->cancelled);
}

TEST_F(DownstreamSessionTest, UpstreamFailureBecomesALocalReply) {
  send(kGet);
  ASSERT_TRUE(waitExchange(0));
  ctx_.exchange(0)->fail(UpstreamFailure::Kind::kReset);
  ASSERT_TRUE(waitFor("\r\n\r\n"));
  EXPECT_TRUE(absl::StartsWith(received_, "HTTP/1.1 502")) << received_;
  EXPECT_TRUE(absl::StrContains(lower(), "x-strait-local-reply: upstream_reset_before_response_complete"));
}

}  // namespace
}  // namespace strait::proxy::testing
