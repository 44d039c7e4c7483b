// The WAF's compiled rule sets. The SecLang text of a Waf config (engine settings, body
// processors, CRS setup, the CRS, exclusions, extra rules and files) is generated here and
// compiled by libmodsecurity into a RulesSet, once per distinct text: configs that produce
// the same text share one RulesSet, across scopes and across generations, for as long as a
// generation uses it (a process-wide cache of weak references).
//
// THREADS: compile() and checkRuleSyntax() run on the thread that builds a generation
// (never a worker); libmodsecurity's rule parser is not thread-safe, so every compilation
// holds one process-wide lock. A CompiledRules is immutable once built; libmodsecurity
// evaluates a loaded RulesSet from any number of threads at once, each with its own
// transactions. ERRORS: a rule that does not compile is an InvalidArgument naming the file
// and line libmodsecurity reports.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "strait/v1/filter_waf.pb.h"

namespace modsecurity {
class RulesSet;
}

namespace strait::filters::waf {

// Body bytes inspected when the config says 0 (max_request_body_bytes, max_response_body_bytes).
constexpr uint32_t kDefaultBodyBytes = 128 << 10;

// Debian's modsecurity-crs rules (the STRAIT_CRS_DIR environment variable overrides it, for
// hosts where the CRS lives elsewhere).
std::string coreRuleSetDir();

class CompiledRules {
 public:
  ~CompiledRules();
  CompiledRules(const CompiledRules&) = delete;
  CompiledRules& operator=(const CompiledRules&) = delete;

  modsecurity::RulesSet* rules() const { return rules_; }
  const std::string& text() const { return text_; }

  // The rule set for `config`, compiled now or shared with an earlier identical config.
  static absl::StatusOr<std::shared_ptr<const CompiledRules>> get(const strait::v1::Waf& config);
  // Rule sets compiled since the start (shared ones are not compiled again).
  static uint64_t compiledCount();

 private:
  CompiledRules(modsecurity::RulesSet* rules, std::string text) : rules_(rules), text_(std::move(text)) {}
  modsecurity::RulesSet* rules_;  // owned (msc_rules_cleanup)
  std::string text_;
};

// The SecLang text compiled for `config`.
std::string rulesText(const strait::v1::Waf& config);

// "" if `rules` (SecLang) compiles on its own, else libmodsecurity's error.
std::string checkRuleSyntax(const std::string& rules);

}  // namespace strait::filters::waf
