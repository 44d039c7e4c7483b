#include "sidecar/filters/waf/waf_rules.h"

#include <modsecurity/rules_set.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "common/log.h"

namespace strait::filters::waf {
namespace {

using strait::v1::Waf;

// libmodsecurity's rule parser keeps global state: one compilation at a time.
absl::Mutex& parserMutex() {
  static absl::Mutex* const mu = new absl::Mutex();
  return *mu;
}

std::atomic<uint64_t> g_compiled{0};

struct Cache {
  absl::Mutex mu;
  std::map<std::string, std::weak_ptr<const CompiledRules>> by_text ABSL_GUARDED_BY(mu);
};

Cache& cache() {
  static Cache* const c = new Cache();
  return *c;
}

struct RulesSetDeleter {
  void operator()(modsecurity::RulesSet* r) const { modsecurity::msc_rules_cleanup(r); }
};
using RulesSetPtr = std::unique_ptr<modsecurity::RulesSet, RulesSetDeleter>;

// Compiles `text` into a new RulesSet; on failure, libmodsecurity's message in *error.
RulesSetPtr compile(const std::string& text, std::string* error) {
  absl::MutexLock lock(&parserMutex());
  RulesSetPtr rules(modsecurity::msc_create_rules_set());
  const char* err = nullptr;
  int n = modsecurity::msc_rules_add(rules.get(), text.c_str(), &err);
  if (n < 0 || err != nullptr) {
    *error = err != nullptr ? std::string(err) : "rules failed to load";
    // The message ends with a newline; keep one line.
    while (!error->empty() && (error->back() == '\n' || error->back() == ' ')) error->pop_back();
    free(const_cast<char*>(err));  // allocated by libmodsecurity with strdup
    return nullptr;
  }
  return rules;
}

uint32_t orDefault(uint32_t v, uint32_t d) { return v == 0 ? d : v; }

}  // namespace

std::string coreRuleSetDir() {
  const char* env = std::getenv("STRAIT_CRS_DIR");
  return env != nullptr && *env != '\0' ? env : "/usr/share/modsecurity-crs/rules";
}

CompiledRules::~CompiledRules() { modsecurity::msc_rules_cleanup(rules_); }

// The configuration a ModSecurity deployment usually spreads over modsecurity.conf and the
// CRS's crs-setup.conf, generated from the filter's fields so that nothing depends on files
// an administrator may have edited on the host (except the CRS rules themselves).
std::string rulesText(const Waf& w) {
  bool detect = w.mode() == Waf::DETECT;
  uint32_t req_limit = orDefault(w.max_request_body_bytes(), kDefaultBodyBytes);
  uint32_t resp_limit = orDefault(w.max_response_body_bytes(), kDefaultBodyBytes);
  std::string t;
  absl::StrAppend(&t, "SecRuleEngine ", detect ? "DetectionOnly" : "On", "\n",
                  "SecRequestBodyAccess On\n",
                  // The filter stops feeding the body at the limit itself; ModSecurity inspects
                  // what it was given.
                  "SecRequestBodyLimit ", req_limit, "\n", "SecRequestBodyNoFilesLimit ", req_limit, "\n",
                  "SecRequestBodyLimitAction ProcessPartial\n",
                  "SecResponseBodyAccess ", w.inspect_response() ? "On" : "Off", "\n",
                  "SecResponseBodyLimit ", resp_limit, "\n", "SecResponseBodyLimitAction ProcessPartial\n",
                  "SecResponseBodyMimeType text/plain text/html text/xml application/json application/xml\n",
                  "SecAuditEngine Off\n", "SecArgumentSeparator &\n", "SecCookieFormat 0\n");
  // Body processors by content type; a body that does not parse is refused (400), since the
  // rules could not see inside it.
  absl::StrAppend(
      &t,
      "SecRule REQUEST_HEADERS:Content-Type \"@rx ^(?:application(?:/soap\\+|/)|text/)xml\" "
      "\"id:190001,phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=XML\"\n",
      "SecRule REQUEST_HEADERS:Content-Type \"@rx ^application/(?:[a-z0-9.+-]+\\+)?json\" "
      "\"id:190002,phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=JSON\"\n",
      "SecRule REQBODY_ERROR \"!@eq 0\" \"id:190003,phase:2,t:none,log,deny,status:400,"
      "msg:'Request body does not parse: %{reqbody_error_msg}'\"\n",
      "SecRule MULTIPART_STRICT_ERROR \"!@eq 0\" \"id:190004,phase:2,t:none,log,deny,status:400,"
      "msg:'Multipart body fails strict validation'\"\n");
  if (!w.disable_core_rule_set()) {
    // crs-setup: anomaly scoring (detections pass, the blocking evaluation rules decide),
    // the paranoia level and thresholds, and the methods an API uses.
    absl::StrAppend(
        &t, "SecDefaultAction \"phase:1,log,auditlog,pass\"\n", "SecDefaultAction \"phase:2,log,auditlog,pass\"\n",
        "SecAction \"id:900000,phase:1,nolog,pass,t:none,setvar:tx.paranoia_level=", orDefault(w.paranoia_level(), 1),
        "\"\n", "SecAction \"id:900110,phase:1,nolog,pass,t:none,setvar:tx.inbound_anomaly_score_threshold=",
        orDefault(w.inbound_anomaly_threshold(), 5),
        ",setvar:tx.outbound_anomaly_score_threshold=", orDefault(w.outbound_anomaly_threshold(), 4), "\"\n",
        "SecAction \"id:900200,phase:1,nolog,pass,t:none,"
        "setvar:'tx.allowed_methods=GET HEAD POST OPTIONS PUT PATCH DELETE'\"\n",
        // The CRS's own list, and the JSON patch types APIs use.
        "SecAction \"id:900220,phase:1,nolog,pass,t:none,setvar:'tx.allowed_request_content_type="
        "|application/x-www-form-urlencoded| |multipart/form-data| |multipart/related| |text/xml| "
        "|application/xml| |application/soap+xml| |application/x-amf| |application/json| "
        "|application/merge-patch+json| |application/json-patch+json| |application/octet-stream| "
        "|application/csp-report| |application/xss-auditor-report| |text/plain|'\"\n",
        "SecAction \"id:900990,phase:1,nolog,pass,t:none,setvar:tx.crs_setup_version=334\"\n",
        "Include ", coreRuleSetDir(), "/*.conf\n");
  }
  for (const Waf::Exclusion& e : w.exclusions()) {
    if (!e.rule_ids().empty()) {
      std::string ids = absl::StrJoin(e.rule_ids(), " ");
      if (e.target().empty()) {
        absl::StrAppend(&t, "SecRuleRemoveById ", ids, "\n");
      } else {
        for (uint32_t id : e.rule_ids()) absl::StrAppend(&t, "SecRuleUpdateTargetById ", id, " \"!", e.target(), "\"\n");
      }
    } else if (e.target().empty()) {
      absl::StrAppend(&t, "SecRuleRemoveByTag \"", e.tag(), "\"\n");
    } else {
      absl::StrAppend(&t, "SecRuleUpdateTargetByTag \"", e.tag(), "\" \"!", e.target(), "\"\n");
    }
  }
  if (!w.rules().empty()) absl::StrAppend(&t, w.rules(), "\n");
  for (const std::string& f : w.rule_files()) absl::StrAppend(&t, "Include ", f, "\n");
  return t;
}

absl::StatusOr<std::shared_ptr<const CompiledRules>> CompiledRules::get(const Waf& config) {
  std::string text = rulesText(config);
  Cache& c = cache();
  {
    absl::MutexLock lock(&c.mu);
    auto it = c.by_text.find(text);
    if (it != c.by_text.end()) {
      if (auto live = it->second.lock()) return live;
      c.by_text.erase(it);
    }
  }
  std::string error;
  auto start = std::chrono::steady_clock::now();
  RulesSetPtr rules = compile(text, &error);
  if (!rules) return absl::InvalidArgumentError("waf rules do not compile: " + error);
  g_compiled.fetch_add(1, std::memory_order_relaxed);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
  common::logInfo("strait-sidecar: waf: rule set compiled in %d ms", static_cast<int64_t>(ms));
  std::shared_ptr<const CompiledRules> built(new CompiledRules(rules.release(), text));
  absl::MutexLock lock(&c.mu);
  // Forget entries whose rule sets are gone (no generation uses them any more).
  for (auto it = c.by_text.begin(); it != c.by_text.end();) {
    if (it->second.expired()) it = c.by_text.erase(it);
    else ++it;
  }
  c.by_text[text] = built;
  return built;
}

uint64_t CompiledRules::compiledCount() { return g_compiled.load(std::memory_order_relaxed); }

std::string checkRuleSyntax(const std::string& rules) {
  std::string error;
  return compile(rules, &error) ? "" : error;
}

}  // namespace strait::filters::waf
