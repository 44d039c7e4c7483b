// H1Pool and H1UpstreamStream against a loopback listener the test plays the upstream on:
// an idle keep-alive connection is reused, "connection: close" is not kept, setRetired and
// the idle timeout close idle connections, the circuit-breaker limits refuse new streams, a
// refused connect is a connect failure, and a pooled connection the upstream had closed is
// reported as not processed.
#include "sidecar/upstream/h1_pool.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <optional>
#include <string>

#include "absl/strings/match.h"
#include "tests/unit/sidecar/fakes/fake_worker_context.h"

namespace strait::proxy::testing {
namespace {

class Recorder final : public UpstreamStreamCallbacks {
 public:
  void onUpstreamConnected() override { connected = true; }
  void onUpstreamHead(http::ResponseHead&& head, http::BodyFraming, uint64_t) override { status = head.status; }
  void onUpstreamData(const char* data, size_t len) override { body.append(data, len); }
  void onUpstreamTrailers(http::HeaderMap&&) override {}
  void onUpstreamEnd() override { ended = true; }
  void onUpstreamFailure(const UpstreamFailure& f) override { failure = f.kind; }
  void onUpstreamWriteWatermark(bool) override {}
  bool connected = false, ended = false;
  int status = 0;
  std::string body;
  std::optional<UpstreamFailure::Kind> failure;
};

class H1PoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto any = net::makeAddress("127.0.0.1", 0);
    ASSERT_TRUE(any.ok());
    auto fd = net::listenTcp(*any);
    ASSERT_TRUE(fd.ok()) << fd.status();
    listen_fd_ = *fd;
    auto addr = net::makeAddress("127.0.0.1", net::localPort(listen_fd_));
    ASSERT_TRUE(addr.ok());
    pool_ = std::make_unique<H1Pool>(ctx_.dispatcher(), *addr, ctx_.stats(), nullptr, cluster_);
    head_.method = "GET";
    head_.target = "/a";
    head_.headers.add("host", "svc");
    request_.head = &head_;
    request_.end_stream = true;
    request_.max_connections = 10;
    request_.max_pending_requests = 10;
    request_.idle_timeout_ms = 60000;
  }
  void TearDown() override {
    stream_.reset();
    pool_.reset();
    ctx_.runPending();
    if (server_ >= 0) close(server_);
    close(listen_fd_);
  }
  UpstreamPool::Result open(Recorder& rec) { return pool_->newStream(request_, rec, &stream_); }
  // Accepts the pool's next connection (as the upstream).
  bool acceptServer() {
    return ctx_.runUntil([&] {
      server_ = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      return server_ >= 0;
    });
  }
  // Reads one request head on the server side.
  bool serverReadsRequest() {
    std::string got;
    return ctx_.runUntil([&] {
      char buf[4096];
      ssize_t n = read(server_, buf, sizeof(buf));
      if (n > 0) got.append(buf, static_cast<size_t>(n));
      return absl::StrContains(got, "\r\n\r\n");
    });
  }
  void serverWrites(const std::string& s) { ASSERT_EQ(write(server_, s.data(), s.size()), ssize_t(s.size())); }
  // One whole exchange on the pool: the server answers `response`.
  void exchange(Recorder& rec, const std::string& response, bool new_connection) {
    ASSERT_EQ(open(rec), UpstreamPool::Result::kOk);
    EXPECT_EQ(stream_->connecting(), new_connection);
    if (new_connection) {
      ASSERT_TRUE(acceptServer());
    }
    ASSERT_TRUE(serverReadsRequest());
    serverWrites(response);
    ASSERT_TRUE(ctx_.runUntil([&] { return rec.ended || rec.failure; }));
    stream_.reset();
  }
  bool serverSeesEof() {
    return ctx_.runUntil([&] {
      char buf[256];
      return read(server_, buf, sizeof(buf)) == 0;
    });
  }

  FakeWorkerContext ctx_;
  ClusterStatePtr cluster_ = std::make_shared<ClusterState>();
  std::unique_ptr<H1Pool> pool_;
  http::RequestHead head_;
  UpstreamPool::Request request_;
  std::unique_ptr<UpstreamStream> stream_;
  int listen_fd_ = -1;
  int server_ = -1;
};

const char kOk[] = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";

TEST_F(H1PoolTest, ReusesTheIdleConnection) {
  Recorder first;
  exchange(first, kOk, /*new_connection=*/true);
  EXPECT_TRUE(first.connected);
  EXPECT_EQ(first.status, 200);
  EXPECT_EQ(first.body, "ok");
  EXPECT_EQ(pool_->idleCount(), 1u);
  EXPECT_EQ(pool_->total(), 1u);
  EXPECT_EQ(cluster_->connections.load(), 1u);
  Recorder second;
  exchange(second, kOk, /*new_connection=*/false);  // same server socket, no new accept
  EXPECT_FALSE(second.connected);  // a reused connection is up from the start
  EXPECT_EQ(second.body, "ok");
  EXPECT_EQ(ctx_.stats().upstream_cx_total.load(), 1u);
  EXPECT_LT(accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK), 0);
  EXPECT_EQ(pool_->idleCount(), 1u);
}

TEST_F(H1PoolTest, ConnectionCloseResponseIsNotKept) {
  Recorder rec;
  exchange(rec, "HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 2\r\n\r\nok", true);
  EXPECT_TRUE(rec.ended);
  EXPECT_EQ(pool_->idleCount(), 0u);
  EXPECT_EQ(pool_->total(), 0u);
  EXPECT_EQ(cluster_->connections.load(), 0u);
}

TEST_F(H1PoolTest, SetRetiredClosesIdleConnections) {
  Recorder rec;
  exchange(rec, kOk, true);
  ASSERT_EQ(pool_->idleCount(), 1u);
  pool_->setRetired(true);
  EXPECT_EQ(pool_->idleCount(), 0u);
  EXPECT_EQ(pool_->total(), 0u);
  EXPECT_EQ(cluster_->connections.load(), 0u);
  EXPECT_EQ(ctx_.stats().upstream_cx_active.load(), 0u);
  EXPECT_TRUE(serverSeesEof());
}

TEST_F(H1PoolTest, RetiredPoolClosesABusyConnectionAfterItsExchange) {
  Recorder rec;
  ASSERT_EQ(open(rec), UpstreamPool::Result::kOk);
  ASSERT_TRUE(acceptServer());
  ASSERT_TRUE(serverReadsRequest());
  pool_->setRetired(true);
  serverWrites(kOk);
  ASSERT_TRUE(ctx_.runUntil([&] { return rec.ended; }));
  EXPECT_EQ(pool_->idleCount(), 0u);
  EXPECT_EQ(pool_->total(), 0u);
  EXPECT_TRUE(serverSeesEof());
}

TEST_F(H1PoolTest, IdleTimeoutClosesTheConnection) {
  request_.idle_timeout_ms = 20;
  Recorder rec;
  exchange(rec, kOk, true);
  ASSERT_EQ(pool_->idleCount(), 1u);
  ASSERT_TRUE(ctx_.runUntil([&] { return pool_->idleCount() == 0; }));
  EXPECT_EQ(pool_->total(), 0u);
  EXPECT_TRUE(serverSeesEof());
}

TEST_F(H1PoolTest, LimitsRefuseNewConnections) {
  request_.max_connections = 1;
  Recorder a, b;
  ASSERT_EQ(open(a), UpstreamPool::Result::kOk);
  std::unique_ptr<UpstreamStream> second;
  EXPECT_EQ(pool_->newStream(request_, b, &second), UpstreamPool::Result::kOverflowConnections);
  EXPECT_EQ(second, nullptr);
  request_.max_connections = 10;
  request_.max_pending_requests = 1;
  cluster_->pending_requests = 1;  // another attempt waits for its connection
  EXPECT_EQ(pool_->newStream(request_, b, &second), UpstreamPool::Result::kOverflowPending);
  cluster_->pending_requests = 0;
}

TEST_F(H1PoolTest, RefusedConnectIsAConnectFailure) {
  // A bound socket that does not listen: connects to it are refused.
  int dead = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(dead, reinterpret_cast<sockaddr*>(&sin), sizeof(sin)), 0);
  auto addr = net::makeAddress("127.0.0.1", net::localPort(dead));
  ASSERT_TRUE(addr.ok());
  pool_ = std::make_unique<H1Pool>(ctx_.dispatcher(), *addr, ctx_.stats(), nullptr, cluster_);
  Recorder rec;
  ASSERT_EQ(open(rec), UpstreamPool::Result::kOk);
  ASSERT_TRUE(ctx_.runUntil([&] { return rec.failure.has_value(); }));
  EXPECT_EQ(*rec.failure, UpstreamFailure::Kind::kConnectFailure);
  EXPECT_FALSE(rec.connected);
  EXPECT_EQ(pool_->total(), 0u);
  close(dead);
}

TEST_F(H1PoolTest, PooledConnectionClosedByTheUpstreamIsNotProcessed) {
  Recorder first;
  exchange(first, kOk, true);
  ASSERT_EQ(pool_->idleCount(), 1u);
  close(server_);  // the upstream closes it; the pool has not seen the event yet
  server_ = -1;
  Recorder rec;
  ASSERT_EQ(open(rec), UpstreamPool::Result::kOk);
  EXPECT_FALSE(stream_->connecting());  // the stale connection was reused
  ASSERT_TRUE(ctx_.runUntil([&] { return rec.failure.has_value(); }));
  EXPECT_EQ(*rec.failure, UpstreamFailure::Kind::kNotProcessed);
  stream_.reset();
  ctx_.runPending();
  EXPECT_EQ(pool_->total(), 0u);
}

// A request complete with its head (a retry of a request whose body, if any, was empty)
// still ends its chunked framing: RouterStream makes such attempts with end_stream and no
// end() call, and the upstream would otherwise wait for the last chunk until a timeout.
TEST_F(H1PoolTest, EndStreamChunkedRequestSendsItsLastChunk) {
  head_.method = "POST";
  head_.headers.add("transfer-encoding", "chunked");
  request_.framing = http::BodyFraming::kChunked;
  Recorder rec;
  ASSERT_EQ(open(rec), UpstreamPool::Result::kOk);
  ASSERT_TRUE(acceptServer());
  std::string got;
  ASSERT_TRUE(ctx_.runUntil([&] {
    char buf[4096];
    ssize_t n = read(server_, buf, sizeof(buf));
    if (n > 0) got.append(buf, static_cast<size_t>(n));
    return absl::EndsWith(got, "\r\n\r\n0\r\n\r\n");
  }, 1000)) << got;
}

}  // namespace
}  // namespace strait::proxy::testing
