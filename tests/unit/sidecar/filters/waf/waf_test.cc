// The WAF filter's config validation, rule text and rule-set cache, and the audit log (JSON
// string encoding, rotation).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <thread>

#include "absl/strings/match.h"
#include "sidecar/filters/waf/audit_log.h"
#include "sidecar/accesslog/log_file.h"
#include "sidecar/filters/waf/waf_rules.h"
#include "tests/unit/eventually.h"
#include "tests/unit/xds/test_config.h"
#include "xds/validate.h"
#include "xds/yaml_proto.h"

namespace strait::filters::waf {
namespace {

std::string problems(const std::string& waf) {
  absl::Status st = xds::validateGeneration(xds::testing::filterGeneration("[{waf: " + waf + "}]"));
  return st.ok() ? "" : std::string(st.message());
}

TEST(WafValidate, AcceptsDefaultsAndAFullConfig) {
  EXPECT_EQ(problems("{}"), "");
  EXPECT_EQ(problems(R"({mode: DETECT, paranoia_level: 2, inbound_anomaly_threshold: 10,
      max_request_body_bytes: 65536, request_body_over_limit: INSPECT_PARTIAL, inspect_response: true,
      max_response_body_bytes: 4096, exclusions: [{rule_ids: [942100], target: "ARGS:q"}, {tag: attack-xss}],
      rules: 'SecRule ARGS:x "@streq evil" "id:10001,phase:2,deny,status:403"'})"),
            "");
}

TEST(WafValidate, NamesEachBadField) {
  std::string p = problems(R"({paranoia_level: 5, max_request_body_bytes: 2000000,
      exclusions: [{}, {rule_ids: [1], tag: x}, {tag: "a b"}, {rule_ids: [1], target: "args:q"}],
      rule_files: ["relative.conf"], max_response_body_bytes: 10})");
  for (const char* field : {"waf.paranoia_level", "waf.max_request_body_bytes", "waf.exclusions[0]", "waf.exclusions[1]",
                            "waf.exclusions[2].tag", "waf.exclusions[3].target", "waf.rule_files[0]",
                            "waf.max_response_body_bytes"}) {
    EXPECT_TRUE(absl::StrContains(p, field)) << field << " not in: " << p;
  }
}

TEST(WafValidate, InlineRulesAreCompiled) {
  std::string p = problems(R"({rules: 'SecRule ARGS "@rx a" "id:1,phase:2,nosuchaction"'})");
  EXPECT_TRUE(absl::StrContains(p, "waf.rules")) << p;
  EXPECT_TRUE(absl::StrContains(p, "does not compile")) << p;
  EXPECT_TRUE(absl::StrContains(problems("{disable_core_rule_set: true}"), "waf.disable_core_rule_set"));
}

TEST(WafRules, TextCarriesTheSettingsAndExclusions) {
  strait::v1::Waf w;
  w.set_mode(strait::v1::Waf::DETECT);
  w.set_paranoia_level(3);
  auto* e = w.add_exclusions();
  e->add_rule_ids(942100);
  e->set_target("ARGS:q");
  w.add_exclusions()->set_tag("attack-xss");
  w.add_exclusions()->add_rule_ids(920350);
  std::string t = rulesText(w);
  EXPECT_TRUE(absl::StrContains(t, "SecRuleEngine DetectionOnly\n"));
  EXPECT_TRUE(absl::StrContains(t, "setvar:tx.paranoia_level=3"));
  EXPECT_TRUE(absl::StrContains(t, "SecRuleUpdateTargetById 942100 \"!ARGS:q\"\n"));
  EXPECT_TRUE(absl::StrContains(t, "SecRuleRemoveByTag \"attack-xss\"\n"));
  EXPECT_TRUE(absl::StrContains(t, "SecRuleRemoveById 920350\n"));
  EXPECT_TRUE(absl::StrContains(t, "Include " + coreRuleSetDir() + "/*.conf\n"));
}

TEST(WafRules, IdenticalConfigsShareOneRuleSet) {
  strait::v1::Waf w;
  w.set_disable_core_rule_set(true);  // fast: only the inline rule
  w.set_rules("SecRule ARGS:x \"@streq evil\" \"id:10001,phase:2,deny,status:403\"");
  auto a = CompiledRules::get(w);
  auto b = CompiledRules::get(w);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->get(), b->get());
  w.set_mode(strait::v1::Waf::DETECT);
  auto c = CompiledRules::get(w);
  ASSERT_TRUE(c.ok());
  EXPECT_NE(a->get(), c->get());
  w.set_rules("SecRule ARGS \"@rx x\" \"id:10002,phase:2,nosuchaction\"");  // no such action
  EXPECT_FALSE(CompiledRules::get(w).ok());
}

TEST(AuditLogJson, EscapesAndReplacesInvalidUtf8) {
  EXPECT_EQ(jsonString("a\"b\\c\n\x01"), "\"a\\\"b\\\\c\\n\\u0001\"");
  EXPECT_EQ(jsonString("Gr\xc3\xbc\xc3\x9f" "e"), "\"Gr\xc3\xbc\xc3\x9f" "e\"");            // valid UTF-8 kept
  EXPECT_EQ(jsonString("\xff\xc3"), "\"\xef\xbf\xbd\xef\xbf\xbd\"");                         // invalid bytes
  EXPECT_EQ(jsonString("\xed\xa0\x80"), "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");         // a surrogate
}

off_t fileSize(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? st.st_size : -1;
}

// Lines go to the file one batch at a time (the test waits for each), so the rotation point
// is exact: past max_bytes the file becomes <path>.1 and a new one starts.
TEST(AuditLog, RotatesPastItsSize) {
  char dir[] = "/tmp/strait-audit-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  std::string path = std::string(dir) + "/audit.log";
  ASSERT_TRUE(AuditLog::configure(path, 64 << 10).ok());
  std::string line(999, 'x');  // 1000 bytes with the newline
  for (uint64_t i = 1; i <= 100; i++) {
    AuditLog::write(line);
    strait::testing::eventually([&] { return AuditLog::written() >= i; });
    ASSERT_EQ(AuditLog::written(), i);
  }
  AuditLog::shutdown();
  EXPECT_EQ(AuditLog::dropped(), 0u);
  EXPECT_EQ(fileSize(path + ".1"), 65000);  // 65 lines fit in 65536 bytes; the 66th started a new file
  EXPECT_EQ(fileSize(path), 35000);
  unlink((path + ".1").c_str());
  unlink(path.c_str());
  rmdir(dir);
}

// A writer that cannot keep up (its file is a FIFO nobody reads yet, so its write blocks
// once the pipe is full): workers never wait; past kMaxPendingBytes lines are dropped and
// counted. At most the pipe (64 KiB), the batch being written and the pending bound (4 MiB
// each) can be taken, so 10 MiB of lines must see drops whatever the scheduling.
TEST(AuditLog, DropsWhenTheWriterFallsBehind) {
  char dir[] = "/tmp/strait-audit-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  std::string path = std::string(dir) + "/audit.fifo";
  ASSERT_EQ(mkfifo(path.c_str(), 0600), 0);
  int rd = open(path.c_str(), O_RDONLY | O_NONBLOCK);  // so the writer's open does not block
  ASSERT_GE(rd, 0);
  ASSERT_TRUE(AuditLog::configure(path, 1ull << 30).ok());
  constexpr uint64_t kLines = 10240;
  std::string line(1023, 'x');  // 1 KiB with the newline
  for (uint64_t i = 0; i < kLines; i++) AuditLog::write(line);
  EXPECT_GT(AuditLog::dropped(), 0u);
  // Now the reader catches up: everything not dropped is written.
  uint64_t read_bytes = 0;
  char buf[65536];
  ASSERT_TRUE(strait::testing::eventually([&] {
    for (ssize_t n; (n = read(rd, buf, sizeof(buf))) > 0;) read_bytes += static_cast<uint64_t>(n);
    return AuditLog::written() + AuditLog::dropped() == kLines;
  }));
  AuditLog::shutdown();
  for (ssize_t n; (n = read(rd, buf, sizeof(buf))) > 0;) read_bytes += static_cast<uint64_t>(n);
  EXPECT_EQ(read_bytes, AuditLog::written() * 1024);
  EXPECT_GE(AuditLog::written(), (accesslog::LogFile::kMaxPendingBytes / 1024) - 1);
  close(rd);
  unlink(path.c_str());
  rmdir(dir);
}

// A file that cannot be written (a full disk): the lines are counted as dropped, nothing
// blocks and nothing crashes.
TEST(AuditLog, CountsWriteErrorsAsDropped) {
  ASSERT_TRUE(AuditLog::configure("/dev/full", 1ull << 30).ok());
  for (int i = 0; i < 5; i++) AuditLog::write("{\"n\": 1}");
  EXPECT_TRUE(strait::testing::eventually([] { return AuditLog::dropped() == 5; }));
  AuditLog::shutdown();
  EXPECT_EQ(AuditLog::written(), 0u);
}

}  // namespace
}  // namespace strait::filters::waf
