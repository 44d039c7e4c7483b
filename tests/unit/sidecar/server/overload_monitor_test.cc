// The overload manager's decisions: watermarks with hysteresis, one sample over the
// configured resources into an OverloadState, what each resource refuses, the /stats
// families, and the bootstrap checks. The per-client connection counts of a ListenSocket.
#include "sidecar/server/overload_monitor.h"

#include <gtest/gtest.h>
#include <google/protobuf/util/json_util.h>
#include <sys/socket.h>

#include "absl/strings/match.h"
#include "sidecar/core/snapshot.h"

namespace strait::server {
namespace {
using proxy::OverloadState;

strait::v1::OverloadManager parse(const std::string& json) {
  strait::v1::OverloadManager m;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json, &m).ok()) << json;
  return m;
}

TEST(Overload, WatermarksHaveHysteresis) {
  EXPECT_FALSE(nextOverloadState(false, 99, 100, 90));
  EXPECT_TRUE(nextOverloadState(false, 100, 100, 90));
  EXPECT_TRUE(nextOverloadState(true, 95, 100, 90));  // still over until below low
  EXPECT_TRUE(nextOverloadState(true, 90, 100, 90));
  EXPECT_FALSE(nextOverloadState(true, 89, 100, 90));
  EXPECT_FALSE(nextOverloadState(false, 1000, 0, 0));  // unwatched
}

TEST(Overload, SampleSetsTheStateAndWhatItRefuses) {
  uint64_t connections = 0, requests = 0;
  OverloadState state;
  OverloadMonitor monitor(parse(R"({"downstreamConnections": {"high": 10}, "activeRequests": {"high": 4, "low": 2}})"),
                          {[&] { return connections; }, [&] { return requests; }}, state);
  monitor.sampleOnce();
  EXPECT_FALSE(state.refuseConnections());
  EXPECT_FALSE(state.refuseRequests());
  connections = 10;
  monitor.sampleOnce();
  EXPECT_TRUE(state.refuseConnections());
  EXPECT_FALSE(state.refuseRequests());
  connections = 9;  // low defaults to 90% of high: 9 is not below it
  monitor.sampleOnce();
  EXPECT_TRUE(state.refuseConnections());
  connections = 8;
  requests = 4;
  monitor.sampleOnce();
  EXPECT_FALSE(state.refuseConnections());
  EXPECT_TRUE(state.refuseRequests());
  EXPECT_EQ(state.overNames(), "active_requests");
  EXPECT_EQ(state.value(OverloadState::kRequests), 4u);
  requests = 1;
  monitor.sampleOnce();
  EXPECT_FALSE(state.refuseRequests());
  EXPECT_EQ(state.overNames(), "");
}

TEST(Overload, MemoryOverRefusesConnectionsAndRequests) {
  OverloadState state;
  OverloadMonitor monitor(parse(R"({"memoryBytes": {"high": 1}})"), {}, state);
  monitor.sampleOnce();
  EXPECT_GT(state.value(OverloadState::kMemory), 0u);
  EXPECT_TRUE(state.refuseConnections());
  EXPECT_TRUE(state.refuseRequests());
  state.countRefusedConnection();
  std::string out;
  state.render(&out);
  EXPECT_TRUE(absl::StrContains(out, "strait_overload_active{resource=\"memory_bytes\"} 1\n")) << out;
  EXPECT_TRUE(absl::StrContains(out, "strait_overload_refused_total{what=\"connection\"} 1\n")) << out;
  EXPECT_FALSE(absl::StrContains(out, "active_requests")) << "unconfigured resources are not shown";
}

TEST(Overload, NothingRenderedWhenUnconfigured) {
  OverloadState state;
  std::string out;
  state.render(&out);
  EXPECT_EQ(out, "");
}

TEST(Overload, BootstrapChecks) {
  EXPECT_TRUE(validateOverload(parse(R"({"memoryBytes": {"high": 100, "low": 50}})")).ok());
  EXPECT_FALSE(validateOverload(parse(R"({"memoryBytes": {"high": 100, "low": 200}})")).ok());
  EXPECT_FALSE(validateOverload(parse(R"({"activeRequests": {"low": 2}})")).ok());
  EXPECT_FALSE(validateOverload(parse(R"({"refreshInterval": "0.001s"})")).ok());
  EXPECT_FALSE(validateOverload(parse(R"({"refreshInterval": "60s"})")).ok());
  EXPECT_TRUE(validateOverload(parse(R"({"refreshInterval": "0.05s"})")).ok());
}

TEST(ListenSocketClients, CountsPerAddress) {
  proxy::ListenSocket socket(::socket(AF_INET, SOCK_STREAM, 0), net::Address());
  EXPECT_TRUE(socket.tryAddClient("10.0.0.1", 2));
  EXPECT_TRUE(socket.tryAddClient("10.0.0.1", 2));
  EXPECT_FALSE(socket.tryAddClient("10.0.0.1", 2));
  EXPECT_TRUE(socket.tryAddClient("10.0.0.2", 2));
  socket.removeClient("10.0.0.1");
  EXPECT_TRUE(socket.tryAddClient("10.0.0.1", 2));
  EXPECT_FALSE(socket.tryAddClient("10.0.0.1", 2));
}

}  // namespace
}  // namespace strait::server
