#include "xds/config_dir.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

namespace strait::xds {
namespace {

namespace fs = std::filesystem;

class ConfigDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/strait-config-dir-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(const std::string& name, const std::string& text) {
    std::ofstream(fs::path(dir_) / name) << text;
  }
  std::string dir_;
};

constexpr char kListeners[] =
    "listeners: [{name: in, address: 127.0.0.1, port: 8000, route_config: main}]\n";
constexpr char kRoutes[] =
    "route_configs:\n"
    "  - name: main\n"
    "    virtual_hosts: [{domains: ['*'], routes: [{match: {prefix: /}, route: {cluster: c}}]}]\n";
constexpr char kClusters[] =
    "clusters: [{name: c}]\n"
    "load_assignments: [{cluster_name: c, endpoints: [{address: 127.0.0.1, port: 9000}]}]\n";

TEST_F(ConfigDirTest, MergesFilesAndSkipsOthers) {
  write("a.yaml", kListeners);
  write("b.yml", kRoutes);
  write("c.yaml", kClusters);
  write("d.yaml~", "garbage: [");
  write(".hidden.yaml", "garbage: [");
  write("notes.txt", "garbage: [");
  auto gen = loadConfigDir(dir_);
  ASSERT_TRUE(gen.ok()) << gen.status();
  EXPECT_EQ(gen->listeners_size(), 1);
  EXPECT_EQ(gen->route_configs_size(), 1);
  EXPECT_EQ(gen->clusters_size(), 1);
  EXPECT_EQ(gen->load_assignments_size(), 1);
}

TEST_F(ConfigDirTest, ParseErrorNamesFileAndLine) {
  write("a.yaml", kListeners);
  write("b.yaml", "route_configs:\n  - name: main\n    virtual_hostz: []\n");
  auto gen = loadConfigDir(dir_);
  ASSERT_FALSE(gen.ok());
  EXPECT_EQ(std::string(gen.status().message()),
            "b.yaml: line 3: route_configs[0].virtual_hostz: unknown field");
}

TEST_F(ConfigDirTest, ValidationErrorNamesDefiningFile) {
  write("a.yaml", kListeners);
  write("b.yaml", kRoutes);
  write("c.yaml", "clusters: [{name: c, connect_timeout: 90s}]\n"
                  "load_assignments: [{cluster_name: c}]\n");
  auto gen = loadConfigDir(dir_);
  ASSERT_FALSE(gen.ok());
  EXPECT_EQ(std::string(gen.status().message()),
            "c.yaml: cluster 'c': connect_timeout: must be between 1ms and 60s");
}

TEST_F(ConfigDirTest, MissingDirectoryIsAnError) {
  EXPECT_FALSE(loadConfigDir(dir_ + "/nope").ok());
}

}  // namespace
}  // namespace strait::xds
