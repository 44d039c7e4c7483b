// The health checker (sidecar/proxy/health_checker.cc, health_check_session.cc) on its own
// thread against loopback sockets: TCP checks pass and fail, and reconciliation across
// snapshots keeps, restarts or stops sessions. Intervals are 1h, so every session checks
// exactly once when it starts: the attempt counter tells which sessions (re)started.
#include "sidecar/upstream/health_checker.h"

#include <gtest/gtest.h>
#include <google/protobuf/util/json_util.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <thread>

#include "tests/unit/eventually.h"

namespace strait::proxy {
namespace {

// A loopback TCP socket bound to a free port; listening (connects succeed through the
// backlog) or not (connects are refused). Closed on destruction.
class LoopbackPort {
 public:
  explicit LoopbackPort(bool listening) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    if (listening) {
      EXPECT_EQ(listen(fd_, 64), 0);
    }
    port_ = net::localPort(fd_);
  }
  ~LoopbackPort() { close(fd_); }
  uint16_t port() const { return port_; }

 private:
  int fd_;
  uint16_t port_;
};

using strait::testing::eventually;

std::shared_ptr<const ClusterInfo> cluster(const std::string& name, const std::string& hc_json,
                                           std::vector<uint16_t> ports, const Snapshot* previous) {
  strait::v1::Cluster c;
  std::string json = R"({"name": ")" + name + "\"" + (hc_json.empty() ? "" : R"(, "health_check": )" + hc_json) + "}";
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json, &c).ok()) << json;
  strait::v1::ClusterLoadAssignment la;
  la.set_cluster_name(name);
  for (uint16_t port : ports) {
    auto* ep = la.add_endpoints();
    ep->set_address("127.0.0.1");
    ep->set_port(port);
  }
  auto info = ClusterInfo::build(c, &la, nullptr, previous ? previous->findCluster(name) : nullptr);
  EXPECT_TRUE(info.ok()) << info.status();
  return *info;
}

const char kTcp[] = R"({"interval": "3600s", "unhealthy_threshold": 1, "tcp": {}})";
const char kTcpOtherTimeout[] = R"({"interval": "3600s", "unhealthy_threshold": 1, "timeout": "2s", "tcp": {}})";

class HealthCheckerTest : public ::testing::Test {
 protected:
  void SetUp() override { checker_.start(); }

  // Publishes a snapshot with cluster "c" (health check `c_hc`, endpoints live and dead)
  // and, if `with_d`, cluster "d" (one live endpoint, TCP check).
  SnapshotPtr publish(const std::string& c_hc, bool with_d = false) {
    auto snap = std::make_shared<Snapshot>();
    snap->clusters["c"] = cluster("c", c_hc, {live_.port(), dead_.port()}, last_.get());
    if (with_d) snap->clusters["d"] = cluster("d", kTcp, {live_.port()}, last_.get());
    last_ = snap;
    checker_.setSnapshot(snap);
    return snap;
  }
  const HostState& state(const std::string& c, size_t i) { return *last_->clusters.at(c)->endpoints[i].state; }
  uint64_t attempts() { return checker_.stats().attempts.load(); }
  bool settled(uint64_t n) {
    return eventually([&] { return checker_.stats().successes.load() + checker_.stats().failures.load() == n; });
  }

  LoopbackPort live_{true};
  LoopbackPort dead_{false};
  HealthChecker checker_;
  SnapshotPtr last_;
};

TEST_F(HealthCheckerTest, TcpCheckPassesOnListenerFailsOnClosedPort) {
  publish(kTcp);
  ASSERT_TRUE(settled(2));
  EXPECT_FALSE(state("c", 0).health_check_failed.load());
  EXPECT_TRUE(state("c", 1).health_check_failed.load());
  EXPECT_EQ(attempts(), 2u);
  EXPECT_EQ(checker_.stats().became_unhealthy.load(), 1u);
}

TEST_F(HealthCheckerTest, ReconcileKeepsRestartsAndStopsSessions) {
  publish(kTcp);
  ASSERT_TRUE(settled(2));
  // Unchanged pairs keep their sessions (no new check); the new cluster's pair starts.
  publish(kTcp, /*with_d=*/true);
  ASSERT_TRUE(settled(3));
  EXPECT_EQ(attempts(), 3u);
  EXPECT_TRUE(state("c", 1).health_check_failed.load());  // carried into the new generation
  // Changed settings restart the sessions of that cluster only.
  publish(kTcpOtherTimeout, /*with_d=*/true);
  ASSERT_TRUE(settled(5));
  EXPECT_EQ(attempts(), 5u);
  EXPECT_TRUE(state("c", 1).health_check_failed.load());
  // No health check any more: the endpoint is back in the rotation.
  publish("", /*with_d=*/true);
  EXPECT_TRUE(eventually([&] { return !state("c", 1).health_check_failed.load(); }));
  EXPECT_EQ(attempts(), 5u);
}

TEST_F(HealthCheckerTest, StopClosesEverything) {
  publish(kTcp, /*with_d=*/true);
  ASSERT_TRUE(settled(3));
  checker_.stop();
  checker_.stop();  // idempotent
}

}  // namespace
}  // namespace strait::proxy
