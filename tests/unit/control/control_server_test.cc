// strait-control's server in-process on 127.0.0.1:0, with the real AdsClient as sidecar.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

#include "control/server.h"
#include "strait/v1/admin.grpc.pb.h"
#include "tests/unit/eventually.h"
#include "xds/ads_client.h"
#include "xds/subscription.h"
#include "strait/v1/discovery.grpc.pb.h"

namespace strait::control {
namespace {

namespace fs = std::filesystem;

// The sequence part of a version "<seq>-<content hash>".
std::string seq(const std::string& version) { return version.substr(0, version.find('-')); }

using strait::testing::eventually;

std::string config(int endpoint_port) {
  return "listeners: [{name: in, address: 127.0.0.1, port: 8000, route_config: main}]\n"
         "route_configs: [{name: main, virtual_hosts: [{domains: ['*'], routes: "
         "[{match: {prefix: /}, route: {cluster: c}}]}]}]\n"
         "clusters: [{name: c}]\n"
         "load_assignments: [{cluster_name: c, endpoints: [{address: 127.0.0.1, port: " +
         std::to_string(endpoint_port) + "}]}]\n";
}

class ControlServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/strait-control-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    write(config(9000));
    ServerOptions opts;
    opts.config_dir = dir_;
    opts.listen = "127.0.0.1:0";
    opts.plaintext = true;  // TLS is covered by tests/integration/test_ca.py
    opts.ca.ca_dir = dir_ + "-ca";
    opts.operator_token_file = dir_ + "-operator.token";
    std::ofstream(opts.operator_token_file) << kOperatorToken << "\n";
    customize(&opts);
    server_ = std::make_unique<ControlServer>(opts);
    ASSERT_TRUE(server_->start().ok());
    address_ = "127.0.0.1:" + std::to_string(server_->port());
    stub_ = strait::v1::ManagementService::NewStub(
        grpc::CreateChannel(address_, grpc::InsecureChannelCredentials()));
  }
  virtual void customize(ServerOptions*) {}
  void TearDown() override {
    server_.reset();
    fs::remove_all(dir_);
    fs::remove_all(dir_ + "-ca");
    fs::remove(dir_ + "-operator.token");
  }
  static constexpr char kOperatorToken[] = "unit-test-operator-token-0123456789";
  // Replaces the config file the way editors do (write aside, rename over).
  void write(const std::string& text) {
    std::ofstream(fs::path(dir_) / ".tmp") << text;
    fs::rename(fs::path(dir_) / ".tmp", fs::path(dir_) / "config.yaml");
  }
  strait::v1::ConfigStatus configStatus() {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", std::string("Bearer ") + kOperatorToken);
    strait::v1::ConfigStatus out;
    EXPECT_TRUE(stub_->GetConfigStatus(&ctx, {}, &out).ok());
    return out;
  }
  strait::v1::SidecarStatus sidecar() {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", std::string("Bearer ") + kOperatorToken);
    strait::v1::ListSidecarsResponse out;
    EXPECT_TRUE(stub_->ListSidecars(&ctx, {}, &out).ok());
    return out.sidecars_size() == 1 ? out.sidecars(0) : strait::v1::SidecarStatus();
  }
  std::unique_ptr<xds::AdsClient> startClient(std::function<absl::Status(int port)> decide, int max_receive = 0) {
    xds::AdsClient::Options o;
    o.max_receive_bytes = max_receive;
    o.address = address_;
    o.node.set_id("web-1");
    o.node.set_service("web");
    return std::make_unique<xds::AdsClient>(
        o, [decide](const std::string&, const strait::v1::Generation& gen,
                    xds::AdsClient::Done done) {
          done(decide(gen.load_assignments(0).endpoints(0).port()));
        });
  }

  std::string dir_;
  std::unique_ptr<ControlServer> server_;
  std::string address_;
  std::unique_ptr<strait::v1::ManagementService::Stub> stub_;
};

TEST_F(ControlServerTest, ManagementApiNeedsTheOperatorToken) {
  strait::v1::ConfigStatus out;
  grpc::ClientContext none;
  EXPECT_EQ(stub_->GetConfigStatus(&none, {}, &out).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  grpc::ClientContext wrong;
  wrong.AddMetadata("authorization", "Bearer unit-test-operator-token-0123456780");
  EXPECT_EQ(stub_->GetConfigStatus(&wrong, {}, &out).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  strait::v1::ListSidecarsResponse list;
  grpc::ClientContext basic;
  basic.AddMetadata("authorization", std::string("Basic ") + kOperatorToken);
  EXPECT_EQ(stub_->ListSidecars(&basic, {}, &list).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  configStatus();  // the right token: OK (checked inside)
}

TEST_F(ControlServerTest, DeliversAndPushesNewVersions) {
  auto client = startClient([](int) { return absl::OkStatus(); });
  client->start();
  ASSERT_TRUE(eventually([&] { return seq(client->appliedVersion()) == "1"; }));
  ASSERT_TRUE(eventually([&] { return seq(sidecar().last_acked_version()) == "1"; }));
  EXPECT_TRUE(sidecar().connected());
  EXPECT_EQ(sidecar().service(), "web");

  write(config(9001));
  ASSERT_TRUE(eventually([&] { return seq(client->appliedVersion()) == "2"; }));
  EXPECT_EQ(seq(configStatus().version()), "2");

  write("clusters: [{name: c, connect_timeout: 99s}]\n");  // refused, 2 keeps serving
  ASSERT_TRUE(eventually([&] { return !configStatus().last_error().empty(); }));
  EXPECT_NE(configStatus().last_error().find("config.yaml"), std::string::npos);
  EXPECT_EQ(seq(configStatus().version()), "2");

  write(config(9001));  // same content as version 2: no new version
  ASSERT_TRUE(eventually([&] { return configStatus().last_error().empty(); }));
  EXPECT_EQ(seq(configStatus().version()), "2");

  client->stop();
  ASSERT_TRUE(eventually([&] { return !sidecar().connected(); }));
  EXPECT_EQ(client->acks(), 2u);
}

TEST_F(ControlServerTest, NackIsRecordedAndOldVersionStays) {
  auto client = startClient([](int port) {
    return port == 9000 ? absl::OkStatus() : absl::InvalidArgumentError("cluster 'c': bad\nmore");
  });
  client->start();
  ASSERT_TRUE(eventually([&] { return seq(client->appliedVersion()) == "1"; }));
  write(config(9002));
  ASSERT_TRUE(eventually([&] { return seq(sidecar().last_nacked_version()) == "2"; }));
  EXPECT_EQ(sidecar().last_nack_message(), "cluster 'c': bad\nmore");
  EXPECT_EQ(seq(sidecar().last_acked_version()), "1");
  EXPECT_EQ(seq(client->appliedVersion()), "1");
  EXPECT_EQ(client->nacks(), 1u);
}

TEST_F(ControlServerTest, AResponseTheSidecarCannotReceiveIsReportedAsANack) {
  auto client = startClient([](int) { return absl::OkStatus(); }, /*max_receive=*/64);
  client->start();
  ASSERT_TRUE(eventually([&] { return !sidecar().last_nack_message().empty(); }));
  EXPECT_NE(sidecar().last_nack_message().find("could not be received"), std::string::npos)
      << sidecar().last_nack_message();
  EXPECT_EQ(sidecar().last_nacked_version(), configStatus().version());
  EXPECT_EQ(client->appliedVersion(), "");
}

class SmallLimitControlServerTest : public ControlServerTest {
  void customize(ServerOptions* o) override { o->max_response_bytes = 64; }
};

TEST_F(SmallLimitControlServerTest, AResponseOverTheLimitIsNotSentButRecorded) {
  auto client = startClient([](int) { return absl::OkStatus(); });
  client->start();
  ASSERT_TRUE(eventually([&] { return !sidecar().last_nack_message().empty(); }));
  EXPECT_NE(sidecar().last_nack_message().find("over the delivery limit of 64"), std::string::npos)
      << sidecar().last_nack_message();
  EXPECT_TRUE(sidecar().connected()) << "the stream stays up for the next version";
  EXPECT_EQ(client->reconnects(), 0u);
}

// A raw ADS stream (what a sidecar sends, by hand), to see the responses themselves.
class RawStream {
 public:
  RawStream(const std::string& address, const std::string& id, const std::string& service,
            const std::string& workload, bool deltas)
      : stub_(strait::v1::AggregatedDiscoveryService::NewStub(
            grpc::CreateChannel(address, grpc::InsecureChannelCredentials()))),
        stream_(stub_->StreamAggregatedResources(&ctx_)) {
    strait::v1::DiscoveryRequest first;
    first.mutable_node()->set_id(id);
    first.mutable_node()->set_service(service);
    if (!workload.empty()) first.mutable_node()->mutable_workload()->set_address(workload);
    if (deltas) first.mutable_node()->add_client_features(xds::kFeatureGenerationDelta);
    first.set_type_url(xds::kGenerationTypeUrl);
    EXPECT_TRUE(stream_->Write(first));
  }
  ~RawStream() {
    ctx_.TryCancel();
    stream_->Finish();
  }
  strait::v1::DiscoveryResponse read() {
    strait::v1::DiscoveryResponse r;
    EXPECT_TRUE(stream_->Read(&r));
    return r;
  }
  void ack(const strait::v1::DiscoveryResponse& r) {
    strait::v1::DiscoveryRequest req;
    req.set_type_url(xds::kGenerationTypeUrl);
    req.set_version_info(r.version_info());
    req.set_response_nonce(r.nonce());
    EXPECT_TRUE(stream_->Write(req));
  }
  void nack(const strait::v1::DiscoveryResponse& r, const std::string& applied) {
    strait::v1::DiscoveryRequest req;
    req.set_type_url(xds::kGenerationTypeUrl);
    req.set_version_info(applied);
    req.set_response_nonce(r.nonce());
    req.mutable_error_detail()->set_code(9);
    req.mutable_error_detail()->set_message("not at the delta's base");
    EXPECT_TRUE(stream_->Write(req));
  }

 private:
  std::unique_ptr<strait::v1::AggregatedDiscoveryService::Stub> stub_;
  grpc::ClientContext ctx_;
  std::unique_ptr<grpc::ClientReaderWriter<strait::v1::DiscoveryRequest, strait::v1::DiscoveryResponse>> stream_;
};

TEST_F(ControlServerTest, ASidecarThatFallsBehindGetsTheNewestVersionNotAQueue) {
  RawStream web(address_, "web-1", "web", "", /*deltas=*/false);
  strait::v1::DiscoveryResponse v1 = web.read();
  EXPECT_EQ(seq(v1.version_info()), "1");
  // Two versions published while web still applies version 1 (no reply yet).
  write(config(9001));
  ASSERT_TRUE(eventually([&] { return seq(configStatus().version()) == "2"; }));
  write(config(9002));
  ASSERT_TRUE(eventually([&] { return seq(configStatus().version()) == "3"; }));
  web.ack(v1);
  strait::v1::DiscoveryResponse next = web.read();
  EXPECT_EQ(seq(next.version_info()), "3") << "version 2 is skipped, not queued";
  EXPECT_EQ(next.generation().load_assignments(0).endpoints(0).port(), 9002u);
}

TEST_F(ControlServerTest, EndpointChangesGoAsDeltasAndANackedDeltaAsTheWholeGeneration) {
  write("listeners: [{name: in, address: 127.0.0.1, port: 8000, route_config: main, services: [web]}]\n"
        "route_configs: [{name: main, virtual_hosts: [{domains: ['*'], routes: "
        "[{match: {prefix: /}, route: {cluster: api}}]}]}]\n"
        "clusters: [{name: api, type: SERVICE, service: api, service_port: 8080}]\n");
  ASSERT_TRUE(eventually([&] { return seq(configStatus().version()) == "2"; }));
  RawStream web(address_, "web-1", "web", "", /*deltas=*/true);
  strait::v1::DiscoveryResponse v2 = web.read();
  ASSERT_TRUE(v2.has_generation());
  ASSERT_EQ(v2.generation().load_assignments_size(), 1);
  EXPECT_EQ(v2.generation().load_assignments(0).endpoints_size(), 0);
  web.ack(v2);

  // api-1 serving (its first ACK) changes only the api cluster's endpoints: a delta for web.
  RawStream api(address_, "api-1", "api", "10.0.0.1", /*deltas=*/false);
  api.ack(api.read());
  strait::v1::DiscoveryResponse v3 = web.read();
  ASSERT_TRUE(v3.has_delta()) << v3.ShortDebugString();
  EXPECT_FALSE(v3.has_generation());
  EXPECT_EQ(v3.delta().base_version(), v2.version_info());
  ASSERT_EQ(v3.delta().load_assignments_size(), 1);
  EXPECT_EQ(v3.delta().load_assignments(0).cluster_name(), "api");
  EXPECT_EQ(v3.delta().load_assignments(0).endpoints(0).address(), "10.0.0.1");
  EXPECT_EQ(v3.delta().load_assignments(0).endpoints(0).port(), 8080u);

  // NACKed (say, the sidecar lost its base): the same version again, whole.
  web.nack(v3, v2.version_info());
  strait::v1::DiscoveryResponse again = web.read();
  EXPECT_EQ(again.version_info(), v3.version_info());
  ASSERT_TRUE(again.has_generation());
  EXPECT_EQ(again.generation().load_assignments(0).endpoints_size(), 1);
  web.ack(again);
  ASSERT_TRUE(eventually([&] {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", std::string("Bearer ") + kOperatorToken);
    strait::v1::ListSidecarsResponse out;
    stub_->ListSidecars(&ctx, {}, &out);
    for (const auto& s : out.sidecars()) {
      if (s.node_id() == "web-1") return s.last_acked_version() == v3.version_info();
    }
    return false;
  }));
}

TEST(AdsClientTest, StopIsPromptWhileReconnecting) {
  xds::AdsClient::Options o;
  o.address = "127.0.0.1:1";  // nothing listens there
  o.node.set_id("x");
  xds::AdsClient client(o, [](auto&&, auto&&, xds::AdsClient::Done done) {
    done(absl::OkStatus());
  });
  client.start();
  ASSERT_TRUE(eventually([&] { return client.reconnects() >= 1; }));
  auto start = std::chrono::steady_clock::now();
  client.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  EXPECT_FALSE(client.connected());
}

}  // namespace
}  // namespace strait::control
