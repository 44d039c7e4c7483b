#include "sidecar/filters/waf/waf_validate.h"

#include "absl/strings/str_cat.h"
#include "sidecar/filters/waf/waf_rules.h"

namespace strait::filters {
namespace {

using strait::v1::Waf;

constexpr uint32_t kMaxBodyBytes = 1 << 20;
constexpr size_t kMaxRulesBytes = 1 << 20;

bool tagChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
         c == '.' || c == '/';
}

// COLLECTION or COLLECTION:name; the name may not carry quotes, spaces or '|' (it is
// written into a rule directive).
bool isTarget(const std::string& t) {
  size_t colon = t.find(':');
  std::string_view collection = std::string_view(t).substr(0, colon);
  if (collection.empty()) return false;
  for (char c : collection) {
    if (!((c >= 'A' && c <= 'Z') || c == '_')) return false;
  }
  if (colon == std::string::npos) return true;
  std::string_view name = std::string_view(t).substr(colon + 1);
  if (name.empty()) return false;
  for (char c : name) {
    if (!tagChar(c) && c != ':') return false;
  }
  return true;
}

}  // namespace

void validateWaf(const Waf& w, const std::string& base, xds::FieldProblems& p) {
  if (!Waf::Mode_IsValid(w.mode())) p.add(base + ".mode", "unknown mode");
  if (w.paranoia_level() > 4) p.add(base + ".paranoia_level", "must be 1 to 4 (0 means 1)");
  if (w.inbound_anomaly_threshold() > 10000) p.add(base + ".inbound_anomaly_threshold", "must be at most 10000");
  if (w.outbound_anomaly_threshold() > 10000) p.add(base + ".outbound_anomaly_threshold", "must be at most 10000");
  if (w.max_request_body_bytes() > kMaxBodyBytes) p.add(base + ".max_request_body_bytes", "must be at most 1048576");
  if (w.max_response_body_bytes() > kMaxBodyBytes) p.add(base + ".max_response_body_bytes", "must be at most 1048576");
  if (!Waf::OverLimit_IsValid(w.request_body_over_limit())) p.add(base + ".request_body_over_limit", "unknown value");
  if (w.max_response_body_bytes() > 0 && !w.inspect_response()) {
    p.add(base + ".max_response_body_bytes", "only valid with inspect_response");
  }
  for (int i = 0; i < w.exclusions_size(); i++) {
    const Waf::Exclusion& e = w.exclusions(i);
    std::string at = absl::StrCat(base, ".exclusions[", i, "]");
    if (e.rule_ids().empty() == e.tag().empty()) p.add(at, "exactly one of rule_ids and tag is required");
    for (uint32_t id : e.rule_ids()) {
      if (id == 0) p.add(at + ".rule_ids", "rule ids start at 1");
    }
    if (!e.tag().empty()) {
      bool ok = e.tag().size() <= 256;
      for (char c : e.tag()) ok = ok && tagChar(c);
      if (!ok) p.add(at + ".tag", "letters, digits, '_', '-', '.' and '/' only (at most 256)");
    }
    if (!e.target().empty() && (e.target().size() > 256 || !isTarget(e.target()))) {
      p.add(at + ".target", "must be COLLECTION or COLLECTION:name (e.g. ARGS:password)");
    }
  }
  if (w.rules().size() > kMaxRulesBytes) {
    p.add(base + ".rules", "must be at most 1 MiB");
  } else if (!w.rules().empty()) {
    std::string error = waf::checkRuleSyntax(w.rules());
    if (!error.empty()) p.add(base + ".rules", "does not compile: " + error);
  }
  for (int i = 0; i < w.rule_files_size(); i++) {
    const std::string& f = w.rule_files(i);
    if (f.empty() || f[0] != '/' || f.find_first_of(" \t\r\n\"'") != std::string::npos) {
      p.add(absl::StrCat(base, ".rule_files[", i, "]"), "must be an absolute path without spaces or quotes");
    }
  }
  if (w.disable_core_rule_set() && w.rules().empty() && w.rule_files().empty()) {
    p.add(base + ".disable_core_rule_set", "leaves no rules: give rules or rule_files");
  }
}

}  // namespace strait::filters
