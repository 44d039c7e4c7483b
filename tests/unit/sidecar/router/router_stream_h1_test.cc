// RouterStream over the real HTTP/1.1 pool, against a loopback listener the test plays the
// upstream on: a retried request's attempt is ended by its head (end_stream), and must still
// end its chunked framing and give its connection back to the pool.
#include <sys/socket.h>
#include <unistd.h>

#include "absl/strings/match.h"
#include "tests/unit/sidecar/router/router_stream_test_util.h"

namespace strait::proxy::testing {
namespace {

class RouterStreamH1Test : public RouterStreamTest {
 protected:
  void SetUp() override {
    RouterStreamTest::SetUp();
    auto any = net::makeAddress("127.0.0.1", 0);
    ASSERT_TRUE(any.ok());
    auto fd = net::listenTcp(*any);
    ASSERT_TRUE(fd.ok()) << fd.status();
    listen_fd_ = *fd;
    useCluster(testCluster("c", {1}, nullptr, net::localPort(listen_fd_)));
    ctx_.cm().fake_pools = false;
    retryOn(RetryPolicy::k5xx);
  }
  void TearDown() override {
    RouterStreamTest::TearDown();
    ctx_.cm().clear();
    ctx_.runPending();
    if (server_ >= 0) close(server_);
    close(listen_fd_);
  }
  // The upstream reads one request, ending with `end` (the last chunk, or the empty line), on
  // a new connection (a retry decided on a response head closes the one it came on).
  bool serverReads(const std::string& end) {
    if (server_ >= 0) close(server_);
    server_ = -1;
    std::string got;
    return ctx_.runUntil([&] {
      if (server_ < 0) server_ = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (server_ < 0) return false;
      char buf[4096];
      ssize_t n = read(server_, buf, sizeof(buf));
      if (n > 0) got.append(buf, static_cast<size_t>(n));
      return absl::EndsWith(got, end);
    }, 1000);
  }
  void serverWrites(const std::string& s) { ASSERT_EQ(write(server_, s.data(), s.size()), ssize_t(s.size())); }
  H1Pool& pool() { return ctx_.cm().h1Pool(*cluster_, cluster_->endpoints[0]); }

  int listen_fd_ = -1;
  int server_ = -1;
};

const char k503[] = "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n";
const char k200[] = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";

TEST_F(RouterStreamH1Test, RetryOfABodilessRequestGivesItsConnectionBack) {
  start();
  ASSERT_TRUE(serverReads("\r\n\r\n"));
  serverWrites(k503);
  ASSERT_TRUE(serverReads("\r\n\r\n"));  // the retry
  serverWrites(k200);
  ASSERT_TRUE(waitResponse());
  EXPECT_EQ(sink_.status(), 200);
  EXPECT_EQ(sink_.body, "ok");
  EXPECT_EQ(info().attempts, 2u);
  ctx_.runPending();
  EXPECT_EQ(pool().idleCount(), 1u);  // the retry's connection is kept
  EXPECT_EQ(ctx_.stats().upstream_cx_total.load(), 2u);
}

TEST_F(RouterStreamH1Test, RetryOfAnEmptyChunkedRequestEndsItsBody) {
  start(http::BodyFraming::kChunked);
  stream_->onRequestComplete();
  ASSERT_TRUE(serverReads("\r\n0\r\n\r\n"));
  serverWrites(k503);
  ASSERT_TRUE(serverReads("\r\n0\r\n\r\n"));  // the retry's last chunk
  serverWrites(k200);
  ASSERT_TRUE(waitResponse());
  EXPECT_EQ(sink_.status(), 200);
}

}  // namespace
}  // namespace strait::proxy::testing
