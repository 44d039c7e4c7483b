#include "sidecar/server/admin_config_dump.h"

#include <google/protobuf/text_format.h>

#include "gtest/gtest.h"

namespace strait::server {
namespace {

proxy::Snapshot snapshot() {
  proxy::Snapshot snap;
  snap.version = "v7";
  snap.applied_at = absl::FromUnixSeconds(0);
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(R"pb(
    clusters { name: "api" }
    clusters { name: "web" }
    load_assignments { cluster_name: "web" endpoints { address: "127.0.0.1" port: 8080 } }
    secrets { name: "cert" certificate_chain: "CERT" private_key: "KEY" }
  )pb", &snap.generation));
  return snap;
}

TEST(AdminConfigDump, OneResourceByName) {
  proxy::Snapshot snap = snapshot();
  auto dump = renderConfigDumpResource(&snap, snap.version, "clusters", "web");
  ASSERT_TRUE(dump.ok()) << dump.status();
  EXPECT_EQ(*dump,
            "{\"version\": \"v7\", \"applied_at\": \"1970-01-01T00:00:00+00:00\", "
            "\"generation\": {\"clusters\": [{\"name\":\"web\"}]}}\n");
}

TEST(AdminConfigDump, WholeKind) {
  proxy::Snapshot snap = snapshot();
  auto dump = renderConfigDumpResource(&snap, snap.version, "clusters", "");
  ASSERT_TRUE(dump.ok());
  EXPECT_NE(dump->find("[{\"name\":\"api\"}, {\"name\":\"web\"}]"), std::string::npos) << *dump;
  auto none = renderConfigDumpResource(&snap, snap.version, "listeners", "");
  ASSERT_TRUE(none.ok());
  EXPECT_NE(none->find("{\"listeners\": []}"), std::string::npos) << *none;
}

TEST(AdminConfigDump, LoadAssignmentsByClusterName) {
  proxy::Snapshot snap = snapshot();
  auto dump = renderConfigDumpResource(&snap, snap.version, "load_assignments", "web");
  ASSERT_TRUE(dump.ok()) << dump.status();
  EXPECT_NE(dump->find("\"port\":8080"), std::string::npos) << *dump;
}

TEST(AdminConfigDump, SecretsAreRedacted) {
  proxy::Snapshot snap = snapshot();
  for (const char* name : {"cert", ""}) {
    auto dump = renderConfigDumpResource(&snap, snap.version, "secrets", name);
    ASSERT_TRUE(dump.ok());
    EXPECT_EQ(dump->find("KEY"), std::string::npos) << *dump;
    EXPECT_NE(dump->find("[redacted]"), std::string::npos) << *dump;
    EXPECT_NE(dump->find("CERT"), std::string::npos) << *dump;
  }
}

TEST(AdminConfigDump, UnknownKindAndUnknownName) {
  proxy::Snapshot snap = snapshot();
  EXPECT_TRUE(absl::IsInvalidArgument(renderConfigDumpResource(&snap, snap.version, "routes", "").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(renderConfigDumpResource(&snap, snap.version, "version", "").status()));
  EXPECT_TRUE(absl::IsNotFound(renderConfigDumpResource(&snap, snap.version, "clusters", "nope").status()));
  EXPECT_TRUE(absl::IsNotFound(renderConfigDumpResource(nullptr, "", "clusters", "web").status()));
  auto empty = renderConfigDumpResource(nullptr, "", "clusters", "");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, "{\"version\": \"\", \"applied_at\": \"\", \"generation\": {\"clusters\": []}}\n");
}

}  // namespace
}  // namespace strait::server
