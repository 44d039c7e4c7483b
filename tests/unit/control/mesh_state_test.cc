// Service discovery in the control plane: SERVICE clusters' endpoints from workloads (sorted,
// draining ones out, configured assignments replaced), versions only on change, the grace
// period of a lost stream, and the registry's "everyone else applied it" check.
#include "control/mesh_state.h"

#include <gtest/gtest.h>
#include <google/protobuf/util/json_util.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "absl/synchronization/notification.h"
#include "control/sidecar_registry.h"
#include "tests/unit/eventually.h"

namespace strait::control {
namespace {

strait::v1::Generation parse(const std::string& json) {
  strait::v1::Generation g;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json, &g).ok()) << json;
  return g;
}

const char kConfig[] = R"({"clusters": [
  {"name": "api", "type": "SERVICE", "service": "api", "servicePort": 8080},
  {"name": "db"}],
  "loadAssignments": [{"clusterName": "db", "endpoints": [{"address": "10.9.9.9", "port": 5432}]},
                      {"clusterName": "api", "endpoints": [{"address": "10.0.0.99", "port": 1}]}]})";

std::vector<std::string> endpoints(const strait::v1::Generation& g, const std::string& cluster) {
  std::vector<std::string> out;
  for (const auto& la : g.load_assignments()) {
    if (la.cluster_name() != cluster) continue;
    for (const auto& ep : la.endpoints()) out.push_back(ep.address() + ":" + std::to_string(ep.port()));
  }
  return out;
}

TEST(MeshStateMerge, ServiceEndpointsFromWorkloads) {
  std::map<std::string, MeshState::Workload> workloads;
  workloads["api-2"] = {"api", "10.0.0.2"};
  workloads["api-1"] = {"api", "10.0.0.1"};
  workloads["web-1"] = {"web", "10.0.0.7"};
  MeshState::Workload draining{"api", "10.0.0.3"};
  draining.draining = true;
  workloads["api-3"] = draining;
  strait::v1::Generation g = MeshState::merge(parse(kConfig), workloads);
  EXPECT_EQ(endpoints(g, "api"), (std::vector<std::string>{"10.0.0.1:8080", "10.0.0.2:8080"}));
  EXPECT_EQ(endpoints(g, "db"), (std::vector<std::string>{"10.9.9.9:5432"}));  // static: untouched
  // No workload: an empty assignment (requests get 503 no_healthy_upstream), not a stale one.
  g = MeshState::merge(parse(kConfig), {});
  EXPECT_TRUE(endpoints(g, "api").empty());
  EXPECT_EQ(g.load_assignments_size(), 2);
}

class MeshStateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/strait-mesh-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    std::ofstream(dir_ + "/mesh.yaml") << kConfig;
    source_ = std::make_unique<ConfigSource>(dir_);
    ASSERT_TRUE(source_->loadInitial().ok());
  }
  void TearDown() override {
    mesh_.reset();
    source_.reset();
    std::remove((dir_ + "/mesh.yaml").c_str());
    rmdir(dir_.c_str());
  }
  strait::v1::Node node(const std::string& id, const std::string& address) {
    strait::v1::Node n;
    n.set_id(id);
    n.set_service("api");
    n.mutable_workload()->set_address(address);
    return n;
  }
  std::string dir_;
  std::unique_ptr<ConfigSource> source_;
  std::unique_ptr<MeshState> mesh_;
};

TEST_F(MeshStateTest, VersionsChangeOnlyWithWhatIsServed) {
  mesh_ = std::make_unique<MeshState>(source_.get(), absl::Hours(1));
  mesh_->start();
  int notified = 0;
  mesh_->addListener([&] { notified++; });
  std::string v1 = mesh_->current()->version;
  EXPECT_EQ(v1.rfind("1-", 0), 0u) << v1;
  mesh_->workloadUp(node("api-1", "10.0.0.1"), 7);
  std::string v2 = mesh_->current()->version;
  EXPECT_NE(v2, v1);
  EXPECT_TRUE(versionNewer(v2, v1));
  EXPECT_EQ(endpoints(mesh_->current()->generation(), "api"), (std::vector<std::string>{"10.0.0.1:8080"}));
  mesh_->workloadUp(node("api-1", "10.0.0.1"), 8);  // a reconnect: the same content
  EXPECT_EQ(mesh_->current()->version, v2);
  strait::v1::Node plain;
  plain.set_id("web-1");
  plain.set_service("api");
  mesh_->workloadUp(plain, 9);  // no workload address: not an endpoint
  EXPECT_EQ(mesh_->current()->version, v2);
  EXPECT_EQ(notified, 1);
  // Draining: out at once, and the version that no longer has it is returned.
  mesh_->workloadDraining("api-1", 7);
  EXPECT_EQ(mesh_->current()->version, v2) << "a stale stream's token changes nothing";
  EXPECT_EQ(mesh_->withdrawnIn("api-1", 7), "");
  mesh_->workloadDraining("api-1", 8);
  std::string v3 = mesh_->current()->version;
  EXPECT_EQ(mesh_->withdrawnIn("api-1", 8), v3);
  EXPECT_NE(v3, v2);
  EXPECT_TRUE(endpoints(mesh_->current()->generation(), "api").empty());
}

TEST_F(MeshStateTest, ALostStreamLeavesAfterTheGracePeriod) {
  mesh_ = std::make_unique<MeshState>(source_.get(), absl::Milliseconds(50));
  mesh_->start();
  mesh_->workloadUp(node("api-1", "10.0.0.1"), 1);
  mesh_->workloadUp(node("api-2", "10.0.0.2"), 2);
  absl::Notification republished;  // the expiry thread's new version (the only change left)
  mesh_->addListener([&] {
    if (!republished.HasBeenNotified()) republished.Notify();
  });
  mesh_->workloadDown("api-2", 99);  // not the stream that owns it: nothing happens
  mesh_->workloadDown("api-2", 2);
  EXPECT_EQ(endpoints(mesh_->current()->generation(), "api").size(), 2u) << "still within the grace period";
  // The expiry thread removes it once the grace period has passed (the bound only stops a
  // hang).
  ASSERT_TRUE(republished.WaitForNotificationWithTimeout(absl::Seconds(30)));
  EXPECT_EQ(endpoints(mesh_->current()->generation(), "api"), (std::vector<std::string>{"10.0.0.1:8080"}));
}

TEST_F(MeshStateTest, AReconnectWithinTheGracePeriodKeepsTheEndpoint) {
  mesh_ = std::make_unique<MeshState>(source_.get(), absl::Hours(1));
  mesh_->start();
  mesh_->workloadUp(node("api-1", "10.0.0.1"), 1);
  std::string v = mesh_->current()->version;
  mesh_->workloadDown("api-1", 1);
  mesh_->workloadUp(node("api-1", "10.0.0.1"), 2);
  EXPECT_EQ(mesh_->current()->version, v);
}

TEST_F(MeshStateTest, ARestartServesTheSameContentUnderTheSameVersion) {
  const std::string state = dir_ + "/served-state";
  mesh_ = std::make_unique<MeshState>(source_.get(), absl::Hours(1), std::nullopt, state);
  mesh_->start();
  mesh_->workloadUp(node("api-1", "10.0.0.1"), 1);
  mesh_->workloadUp(node("api-2", "10.0.0.2"), 2);
  std::string before = mesh_->current()->version;
  EXPECT_EQ(before.substr(0, 2), "3-");
  mesh_.reset();  // stop() writes the file

  // Restarted: the workloads are back (until they reconnect or the grace passes), so the
  // content, and with it the version, is what it was.
  mesh_ = std::make_unique<MeshState>(source_.get(), absl::Hours(1), std::nullopt, state);
  mesh_->start();
  EXPECT_EQ(mesh_->current()->version, before);
  EXPECT_EQ(endpoints(mesh_->current()->generation(), "api"),
            (std::vector<std::string>{"10.0.0.1:8080", "10.0.0.2:8080"}));
  mesh_->workloadUp(node("api-1", "10.0.0.1"), 7);  // reconnects: nothing changes
  EXPECT_EQ(mesh_->current()->version, before);
  // Other content goes on from the old sequence (never back to 1).
  mesh_->workloadDraining("api-2", 99);  // not its stream: ignored
  EXPECT_EQ(mesh_->current()->version, before);
  mesh_->workloadDraining("api-1", 7);
  EXPECT_EQ(mesh_->current()->version.substr(0, 2), "4-");
  mesh_.reset();
  std::remove(state.c_str());
}

TEST_F(MeshStateTest, ASidecarsLabelForTheSameContentIsAdopted) {
  mesh_ = std::make_unique<MeshState>(source_.get(), absl::Hours(1));
  mesh_->start();
  std::string v1 = mesh_->current()->version;  // "1-<hash>"
  std::string hash = v1.substr(v1.find('-') + 1);
  int notified = 0;
  mesh_->addListener([&] { notified++; });
  mesh_->adoptVersion("7-0123456789abcdef");  // other content: ignored
  mesh_->adoptVersion("0-" + hash);           // an older label: ignored
  mesh_->adoptVersion("garbage");
  EXPECT_EQ(mesh_->current()->version, v1);
  EXPECT_EQ(notified, 0);
  mesh_->adoptVersion("7-" + hash);  // e.g. what another replica served: taken
  EXPECT_EQ(mesh_->current()->version, "7-" + hash);
  EXPECT_EQ(notified, 1);
  mesh_->workloadUp(node("api-1", "10.0.0.1"), 1);
  EXPECT_EQ(mesh_->current()->version.substr(0, 2), "8-") << "the sequence continues after it";
}

TEST_F(MeshStateTest, AnUnreadableStateFileIsIgnored) {
  const std::string state = dir_ + "/served-state";
  std::ofstream(state) << "version\t9-0123456789abcdef\nsomething else\n";
  mesh_ = std::make_unique<MeshState>(source_.get(), absl::Hours(1), std::nullopt, state);
  mesh_->start();
  EXPECT_EQ(mesh_->current()->version.substr(0, 2), "1-");
  mesh_.reset();
  std::remove(state.c_str());
}

TEST_F(MeshStateTest, NewEndpointsAreBatchedWithinTheDebounce) {
  mesh_ = std::make_unique<MeshState>(source_.get(), absl::Hours(1), std::nullopt, "", absl::Hours(1));
  mesh_->start();
  std::string v1 = mesh_->current()->version;
  mesh_->workloadUp(node("api-1", "10.0.0.1"), 1);
  mesh_->workloadUp(node("api-2", "10.0.0.2"), 2);
  EXPECT_EQ(mesh_->current()->version, v1) << "not yet: within the debounce";
  mesh_->workloadDraining("api-1", 1);
  EXPECT_EQ(mesh_->withdrawnIn("api-1", 1), "") << "not published yet";
  // A config change publishes at once, with everything pending: one version for all three.
  std::ofstream(dir_ + "/mesh.yaml") << R"({"clusters": [{"name": "api", "type": "SERVICE", "service": "api", "servicePort": 8080}]})";
  source_->reload();
  std::string v2 = mesh_->current()->version;
  EXPECT_EQ(v2.substr(0, 2), "2-");
  EXPECT_EQ(mesh_->withdrawnIn("api-1", 1), v2);
  EXPECT_EQ(endpoints(mesh_->current()->generation(), "api"), (std::vector<std::string>{"10.0.0.2:8080"}));
}

TEST_F(MeshStateTest, ADrainThatChangesNothingServedIsWithdrawnInTheCurrentVersion) {
  mesh_ = std::make_unique<MeshState>(source_.get(), absl::Hours(1));
  mesh_->start();
  mesh_->workloadUp(node("api-1", "10.0.0.1"), 1);
  mesh_->workloadUp(node("api-1b", "10.0.0.1"), 2);  // the same address
  std::string v = mesh_->current()->version;
  mesh_->workloadDraining("api-1b", 2);
  EXPECT_EQ(mesh_->current()->version, v);
  EXPECT_EQ(mesh_->withdrawnIn("api-1b", 2), v);
}

TEST_F(MeshStateTest, ADebouncedChangeIsPublishedByItself) {
  mesh_ = std::make_unique<MeshState>(source_.get(), absl::Hours(1), std::nullopt, "", absl::Milliseconds(20));
  mesh_->start();
  mesh_->workloadUp(node("api-1", "10.0.0.1"), 1);
  ASSERT_TRUE(strait::testing::eventually(
      [&] { return endpoints(mesh_->current()->generation(), "api").size() == 1; }));
}

TEST(ServedState, RoundTripsAndRefusesAnythingElse) {
  ServedState s;
  s.version = "12-0123456789abcdef";
  s.workloads = {{"api-1", "api", "10.0.0.1"}, {"bad\tid", "api", "10.0.0.9"}, {"db-1", "db", "fd00::1"}};
  auto back = ServedState::parse(s.serialize());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->version, s.version);
  ASSERT_EQ(back->workloads.size(), 2u) << "the record a tab would break is left out";
  EXPECT_EQ(back->workloads[1].address, "fd00::1");
  EXPECT_FALSE(ServedState::parse("").ok());
  EXPECT_FALSE(ServedState::parse("workload\ta\tb\tc\n").ok()) << "no version";
  EXPECT_FALSE(ServedState::parse("version\t1-a\nworkload\ta\tb\n").ok());
  EXPECT_FALSE(ServedState::parse("version\t1-a\nversion\t2-b\n").ok());
}

TEST(SidecarRegistryWithdrawal, OthersApplied) {
  SidecarRegistry registry;
  strait::v1::Node a, b, c;
  a.set_id("a");
  b.set_id("b");
  c.set_id("c");
  uint64_t ta = registry.connected(a, "p", ""), tb = registry.connected(b, "p", ""), tc = registry.connected(c, "p", "");
  registry.acked("b", tb, "4-x");
  registry.acked("c", tc, "3-y");
  EXPECT_FALSE(registry.othersApplied("a", "4-x"));  // c is behind
  registry.nacked("c", tc, "4-x", "bad");
  EXPECT_TRUE(registry.othersApplied("a", "4-x"));   // a NACK counts: it will not apply it
  registry.acked("b", tb, "5-z");
  EXPECT_TRUE(registry.othersApplied("a", "4-x"));   // newer counts
  registry.disconnected("b", tb);
  EXPECT_TRUE(registry.othersApplied("a", "6-w") == false);  // c has not reached 6
  registry.disconnected("c", tc);
  EXPECT_TRUE(registry.othersApplied("a", "6-w"));   // nobody else connected
  (void)ta;
}

}  // namespace
}  // namespace strait::control
