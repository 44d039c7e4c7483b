// Access log lines: every JSON field from StreamInfo (valid JSON whatever a client sent),
// text templates (placeholders, %%, "-" for empty, no control characters), the filter
// (status classes, only errors, sampling), bad configurations refused with the field named,
// and the file: one per path, written off the caller's thread, reopened on request.
#include "sidecar/accesslog/access_log.h"

#include <gtest/gtest.h>
#include <google/protobuf/util/json_util.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "tests/unit/eventually.h"

namespace strait::accesslog {
namespace {

class AccessLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/strait-accesslog-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::string cmd = "rm -rf " + dir_;
    (void)!system(cmd.c_str());
  }

  std::shared_ptr<const AccessLog> make(const std::string& json_config, const std::string& file = "a.log") {
    strait::v1::AccessLog config;
    EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json_config, &config).ok()) << json_config;
    config.set_path(dir_ + "/" + file);
    auto log = AccessLog::create(config);
    EXPECT_TRUE(log.ok()) << log.status();
    return log.ok() ? *log : nullptr;
  }

  static http::StreamInfo sample() {
    http::StreamInfo i;
    i.method = "GET";
    i.authority = "api.local";
    i.path = "/a?b=\"c\"";
    i.protocol = "HTTP/1.1";
    i.start_ms = 1000;
    i.first_upstream_byte_ms = 1012;
    i.end_ms = 1020;
    i.response_code = 200;
    i.bytes_received = 5;
    i.bytes_sent = 1234;
    i.route_name = "r1";
    i.cluster_name = "backend";
    i.upstream_host = "127.0.0.1:8080";
    i.attempts = 2;
    i.request_id = "id-1";
    i.downstream_address = "10.0.0.1";
    i.client_ip = "10.0.0.1";
    i.listener = "ingress";
    i.setFlag(http::ResponseFlag::kUpstreamReset);  // a retried failure
    return i;
  }

  std::string dir_;
  // 2026-12-05T01:02:03.000Z at monotonic 1030 ms.
  LineClock clock_{1030, 1796432523000000};
};

TEST_F(AccessLogTest, JsonHasEveryField) {
  auto log = make("{}");
  std::string line = log->format(sample(), clock_);
  EXPECT_EQ(line,
            "{\"start_time\":\"2026-12-05T01:02:02.970Z\",\"duration_ms\":20,\"time_to_first_upstream_byte_ms\":12,"
            "\"method\":\"GET\",\"authority\":\"api.local\",\"path\":\"/a?b=\\\"c\\\"\",\"protocol\":\"HTTP/1.1\","
            "\"response_code\":200,\"response_flags\":\"upstream_reset\",\"response_code_details\":\"\","
            "\"bytes_received\":5,\"bytes_sent\":1234,\"route\":\"r1\",\"cluster\":\"backend\","
            "\"upstream_host\":\"127.0.0.1:8080\",\"attempts\":2,\"request_id\":\"id-1\",\"trace_id\":\"\","
            "\"downstream_address\":\"10.0.0.1\",\"client_ip\":\"10.0.0.1\",\"peer_identity\":\"\","
            "\"listener\":\"ingress\"}");
  // No upstream byte, not finished: null, and the duration so far.
  http::StreamInfo i;
  i.start_ms = 1000;
  i.path = std::string("/\n\xff", 3);
  line = log->format(i, clock_);
  EXPECT_NE(line.find("\"duration_ms\":30,\"time_to_first_upstream_byte_ms\":null"), std::string::npos) << line;
  EXPECT_NE(line.find("\"path\":\"/\\n\xef\xbf\xbd\""), std::string::npos) << line;
}

TEST_F(AccessLogTest, TextTemplates) {
  auto log = make(R"({"format": "TEXT", "textFormat": "%METHOD% %PATH% %RESPONSE_CODE% %TRACE_ID% 100%% %RESPONSE_FLAGS%"})");
  http::StreamInfo i = sample();
  i.path = "/x\r\nforged";
  EXPECT_EQ(log->format(i, clock_), "GET /x??forged 200 - 100% upstream_reset");
  auto def = make(R"({"format": "TEXT"})");
  EXPECT_EQ(def->format(sample(), clock_),
            "[2026-12-05T01:02:02.970Z] \"GET /a?b=\"c\" HTTP/1.1\" 200 upstream_reset 5 1234 20 "
            "\"127.0.0.1:8080\" \"id-1\" \"api.local\"");
}

TEST_F(AccessLogTest, Filters) {
  http::StreamInfo ok = sample();
  ok.response_flags = 0;
  http::StreamInfo not_found = ok;
  not_found.response_code = 404;
  not_found.setFlag(http::ResponseFlag::kNoRoute);
  http::StreamInfo unavailable = ok;
  unavailable.response_code = 503;
  http::StreamInfo none = ok;
  none.response_code = 0;
  auto classes = make(R"({"filter": {"statusClasses": [4, 5]}})");
  EXPECT_FALSE(classes->wants(ok, 0));
  EXPECT_TRUE(classes->wants(not_found, 0));
  EXPECT_TRUE(classes->wants(unavailable, 0));
  EXPECT_FALSE(classes->wants(none, 0));
  auto errors = make(R"({"filter": {"onlyErrors": true}})");
  EXPECT_FALSE(errors->wants(ok, 0));
  EXPECT_TRUE(errors->wants(not_found, 0));  // a flag: no_route
  EXPECT_TRUE(errors->wants(unavailable, 0));
  EXPECT_TRUE(errors->wants(none, 0));
  auto half = make(R"({"filter": {"sample": 0.5}})");
  EXPECT_TRUE(half->wants(ok, 0));
  EXPECT_TRUE(half->wants(ok, (uint64_t{1} << 63) - 1));
  EXPECT_FALSE(half->wants(ok, (uint64_t{1} << 63) + 1));
  EXPECT_TRUE(make("{}")->wants(ok, UINT64_MAX));
}

TEST_F(AccessLogTest, BadConfigurationsAreRefused) {
  auto refused = [&](const std::string& json, const std::string& want) {
    strait::v1::AccessLog config;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json, &config).ok());
    if (config.path().empty() && json.find("path") == std::string::npos) config.set_path(dir_ + "/x.log");
    auto log = AccessLog::create(config);
    ASSERT_FALSE(log.ok()) << json;
    EXPECT_NE(std::string(log.status().message()).find(want), std::string::npos) << log.status();
  };
  refused(R"({"format": "TEXT", "textFormat": "%NOPE%"})", "text_format: unknown %NOPE%");
  refused(R"({"format": "TEXT", "textFormat": "%METHOD"})", "text_format: a % is not closed");
  refused(R"({"textFormat": "%METHOD%"})", "text_format: only for format TEXT");
  refused(R"({"filter": {"statusClasses": [6]}})", "filter.status_classes: 6 is not 0..5");
  refused(R"({"filter": {"sample": 1.5}})", "filter.sample: must be in (0, 1]");
  refused(R"({"filter": {"sample": -0.1}})", "filter.sample");
  refused(R"({"maxBytes": "100"})", "max_bytes: at least 65536");
  refused(R"({"path": ""})", "path: required");
  refused(R"({"path": "/nonexistent-dir/x.log"})", "access log /nonexistent-dir/x.log");
}

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST_F(AccessLogTest, OneFilePerPathWrittenInTheBackgroundAndReopened) {
  auto a = make("{}", "shared.log");
  auto b = make(R"({"format": "TEXT", "textFormat": "%METHOD%"})", "shared.log");
  uint64_t before = AccessLog::writtenTotal();
  a->log(sample(), clock_, 0);
  b->log(sample(), clock_, 0);
  ASSERT_TRUE(strait::testing::eventually([&] { return AccessLog::writtenTotal() == before + 2; }));
  std::string content = readFile(dir_ + "/shared.log");
  EXPECT_NE(content.find("\"listener\":\"ingress\"}\n"), std::string::npos) << content;
  EXPECT_NE(content.find("\nGET\n"), std::string::npos) << content;
  // logrotate moved the file away; SIGUSR1 makes a new one at the path.
  ASSERT_EQ(rename((dir_ + "/shared.log").c_str(), (dir_ + "/shared.log.old").c_str()), 0);
  LogFile::reopenAll();
  b->log(sample(), clock_, 0);
  ASSERT_TRUE(strait::testing::eventually([&] { return readFile(dir_ + "/shared.log") == "GET\n"; }));
  EXPECT_EQ(AccessLog::droppedTotal(), 0u);
}

}  // namespace
}  // namespace strait::accesslog
