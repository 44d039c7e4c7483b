#include "sidecar/filters/waf/waf_filter.h"

#include <modsecurity/intervention.h>
#include <modsecurity/modsecurity.h>
#include <modsecurity/rule_message.h>
#include <modsecurity/rule_with_actions.h>
#include <modsecurity/rules_set.h>
#include <modsecurity/transaction.h>

#include <cstdlib>
#include <ctime>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "sidecar/filters/filter_stats.h"
#include "sidecar/filters/waf/audit_log.h"
#include "sidecar/filters/waf/waf_rules.h"

namespace strait::filters {
namespace {

using strait::v1::Waf;
using waf::AuditLog;
using waf::CompiledRules;
using waf::kDefaultBodyBytes;

constexpr size_t kMaxIdsInReply = 16;

// What a transaction's log callback reports of one matched rule.
struct Match {
  int rule_id = 0;
  int severity = 0;
  bool disruptive = false;
  std::string message;
  std::string data;
  std::vector<std::string> tags;
};

class WafFilter;

// Called by libmodsecurity, on the thread evaluating the transaction, for each matched rule
// that logs; `data` is the transaction's WafFilter.
void onRuleMessage(void* data, const void* message);

// One libmodsecurity engine object per thread (its persistent collections are per engine,
// and libmodsecurity does not lock them against concurrent readers).
modsecurity::ModSecurity* threadEngine() {
  struct Engine {
    Engine() : ms(modsecurity::msc_init()) {
      modsecurity::msc_set_connector_info(ms, "strait-sidecar");
      ms->setServerLogCb(onRuleMessage, modsecurity::RuleMessageLogProperty);
    }
    ~Engine() { modsecurity::msc_cleanup(ms); }
    modsecurity::ModSecurity* ms;
  };
  thread_local Engine engine;
  return engine.ms;
}

struct TransactionDeleter {
  void operator()(modsecurity::Transaction* t) const { modsecurity::msc_transaction_cleanup(t); }
};
using TransactionPtr = std::unique_ptr<modsecurity::Transaction, TransactionDeleter>;

// A disruptive decision: the status to answer (0: none).
int takeIntervention(modsecurity::Transaction* tx) {
  modsecurity::ModSecurityIntervention it;
  it.status = 200;
  it.pause = 0;
  it.url = nullptr;
  it.log = nullptr;
  it.disruptive = 0;
  int status = 0;
  if (modsecurity::msc_intervention(tx, &it) != 0 && it.disruptive != 0) status = it.status >= 400 && it.status <= 599 ? it.status : 403;
  free(it.url);
  free(it.log);
  return status;
}

// Per-rule match counters of one factory: every rule id of its rule set, made when the
// factory is built; the data path only looks them up.
struct RuleCounters {
  absl::flat_hash_map<int, std::pair<FilterStats::Counter*, FilterStats::Counter*>> by_rule;  // blocked, detected

  void build(const CompiledRules& rules, const std::string& scope) {
    static const char kName[] = "strait_waf_rule_matches_total";
    static const char kHelp[] = "Requests in which a WAF rule matched, by rule and by what happened to the request.";
    modsecurity::RulesSet* set = rules.rules();
    for (int phase = 0; phase < modsecurity::Phases::NUMBER_OF_PHASES; phase++) {
      modsecurity::Rules* list = set->m_rulesSetPhases.at(phase);
      for (size_t i = 0; i < list->size(); i++) {
        auto* r = dynamic_cast<modsecurity::RuleWithActions*>(list->at(i).get());
        if (r == nullptr || r->m_ruleId <= 0 || r->m_ruleId > INT32_MAX) continue;
        int id = static_cast<int>(r->m_ruleId);
        if (by_rule.contains(id)) continue;
        std::string rule = std::to_string(id);
        by_rule[id] = {&FilterStats::counter(kName, kHelp, scope, {{"rule", rule}, {"action", "blocked"}}),
                       &FilterStats::counter(kName, kHelp, scope, {{"rule", rule}, {"action", "detected"}})};
      }
    }
  }
};

class WafFactory final : public FilterFactory {
 public:
  WafFactory(const Waf& config, std::shared_ptr<const CompiledRules> rules, const std::string& scope)
      : rules(std::move(rules)), scope(scope), block(config.mode() == Waf::BLOCK),
        reject_over_limit(config.request_body_over_limit() == Waf::REJECT),
        inspect_response(config.inspect_response()),
        max_request_body(config.max_request_body_bytes() ? config.max_request_body_bytes() : kDefaultBodyBytes),
        max_response_body(config.max_response_body_bytes() ? config.max_response_body_bytes() : kDefaultBodyBytes),
        inspected(FilterStats::counter("strait_waf_requests_total", "Requests the WAF inspected.", scope)),
        blocked(FilterStats::counter("strait_waf_blocked_total", "Requests (or responses) the WAF stopped.", scope)),
        detected(FilterStats::counter("strait_waf_detected_total",
                                      "Requests in which WAF rules matched but that were let through.", scope)),
        too_large(FilterStats::counter("strait_waf_body_too_large_total",
                                       "Request bodies over the WAF's inspection limit.", scope)),
        errors(FilterStats::counter("strait_waf_errors_total", "Transactions the WAF could not run (passed).", scope)) {
    counters.build(*this->rules, scope);
  }
  std::string_view kind() const override { return "waf"; }
  std::unique_ptr<StreamFilter> create() const override;

  std::shared_ptr<const CompiledRules> rules;
  std::string scope;
  bool block;
  bool reject_over_limit;
  bool inspect_response;
  size_t max_request_body;
  size_t max_response_body;
  FilterStats::Counter& inspected;
  FilterStats::Counter& blocked;
  FilterStats::Counter& detected;
  FilterStats::Counter& too_large;
  FilterStats::Counter& errors;
  RuleCounters counters;
};

class WafFilter final : public StreamFilter {
 public:
  explicit WafFilter(const WafFactory& factory) : f_(factory) {}
  ~WafFilter() override { finish(); }

  void addMatch(const modsecurity::RuleMessage& m) {
    if (matches_.size() >= 64) return;  // bounded, whatever the rules do
    Match match;
    match.rule_id = m.m_ruleId;
    match.severity = m.m_severity;
    match.disruptive = m.m_isDisruptive;
    match.message = m.m_message;
    match.data = m.m_data.substr(0, 512);
    for (const std::string& t : m.m_tags) {
      if (match.tags.size() < 16) match.tags.push_back(t);
    }
    matches_.push_back(std::move(match));
  }

  FilterStatus onRequestHead(http::RequestHead& head, bool end_stream) override {
    FilterStats::inc(f_.inspected);
    tx_.reset(modsecurity::msc_new_transaction(threadEngine(), f_.rules->rules(), this));
    if (!tx_) {
      FilterStats::inc(f_.errors);
      return FilterStatus::kContinue;
    }
    StreamInfo& info = callbacks_->streamInfo();
    std::string client = info.client_ip.empty() ? "0.0.0.0" : info.client_ip;
    modsecurity::msc_process_connection(tx_.get(), client.c_str(), 0, "0.0.0.0", 0);
    method_ = head.method;
    target_ = head.target;
    const char* version = info.protocol == "HTTP/2" ? "2.0" : info.protocol == "HTTP/1.0" ? "1.0" : "1.1";
    modsecurity::msc_process_uri(tx_.get(), head.target.c_str(), head.method.c_str(), version);
    for (const auto& field : head.headers.fields()) {
      if (field.name == "host") host_ = field.value;
      modsecurity::msc_add_n_request_header(tx_.get(), reinterpret_cast<const unsigned char*>(field.name.data()), field.name.size(),
                               reinterpret_cast<const unsigned char*>(field.value.data()), field.value.size());
    }
    modsecurity::msc_process_request_headers(tx_.get());
    if (int status = takeIntervention(tx_.get())) return refuse(status);
    if (!end_stream) return FilterStatus::kStop;  // decided once the body is in
    modsecurity::msc_process_request_body(tx_.get());
    if (int status = takeIntervention(tx_.get())) return refuse(status);
    return FilterStatus::kContinue;
  }

  void onHeldRequestData(const char* data, size_t len) override {
    if (!tx_ || decided_) return;
    size_t room = f_.max_request_body - body_bytes_;
    size_t take = len < room ? len : room;
    if (take > 0) modsecurity::msc_append_request_body(tx_.get(), reinterpret_cast<const unsigned char*>(data), take);
    body_bytes_ += take;
    if (take == len) return;
    FilterStats::inc(f_.too_large);
    if (f_.reject_over_limit) {
      decided_ = true;
      callbacks_->sendLocalReply(413, "request body too large for inspection\n", "waf_body_too_large");
      return;
    }
    decideRequest();  // what fits was inspected; the rest goes on uninspected
  }

  void onHeldRequestEnd() override {
    if (tx_ && !decided_) decideRequest();
  }

  void onResponseHead(http::ResponseHead& head, http::BodyFraming& framing, uint64_t& length) override {
    if (!tx_ || !f_.inspect_response || refused_) return;
    inspecting_response_ = true;
    for (const auto& field : head.headers.fields()) {
      modsecurity::msc_add_n_response_header(tx_.get(), reinterpret_cast<const unsigned char*>(field.name.data()), field.name.size(),
                                reinterpret_cast<const unsigned char*>(field.value.data()), field.value.size());
    }
    modsecurity::msc_process_response_headers(tx_.get(), head.status, "HTTP 1.1");
    int status = takeIntervention(tx_.get());
    if (status == 0) return;
    // Stopped at its head: nothing of it has gone out; a 403 replaces it.
    response_blocked_ = true;
    blocked_ = true;
    std::string body = "blocked by the web application firewall\n";
    http::ResponseHead replaced;
    replaced.status = status;
    replaced.headers.set("content-type", "text/plain");
    replaced.headers.set("content-length", std::to_string(body.size()));
    replaced.headers.set("x-strait-local-reply", replyDetails());
    head = std::move(replaced);
    framing = http::BodyFraming::kContentLength;
    length = body.size();
    replacement_ = std::move(body);
  }

  bool transformsBody() const override { return inspecting_response_; }

  void transformResponseData(const char* data, size_t len, std::string* out) override {
    if (response_blocked_) return;  // the upstream body is dropped
    if (response_passed_) {
      out->append(data, len);
      return;
    }
    size_t room = f_.max_response_body - held_response_.size();
    size_t take = len < room ? len : room;
    modsecurity::msc_append_response_body(tx_.get(), reinterpret_cast<const unsigned char*>(data), take);
    held_response_.append(data, len);
    if (take == len) return;
    // Past the limit: decide on what was seen, then let everything through.
    if (!decideResponse()) return;
    out->append(held_response_);
    std::string().swap(held_response_);
    response_passed_ = true;
  }

  void finishResponseData(std::string* out) override {
    if (response_blocked_) {
      out->append(replacement_);
      return;
    }
    if (response_passed_) return;
    if (!decideResponse()) return;
    out->append(held_response_);
    std::string().swap(held_response_);
  }

 private:
  // Phase 2 with the body fed so far: go on, or answer.
  void decideRequest() {
    decided_ = true;
    modsecurity::msc_process_request_body(tx_.get());
    if (int status = takeIntervention(tx_.get())) {
      refuse(status);
      return;
    }
    callbacks_->continueRequest();
  }

  // Phase 4: false when the response is stopped (the stream is reset: part of it may have
  // gone out, so it must not look complete).
  bool decideResponse() {
    modsecurity::msc_process_response_body(tx_.get());
    if (takeIntervention(tx_.get()) == 0) return true;
    response_blocked_ = true;
    blocked_ = true;
    callbacks_->streamInfo().fail(http::ResponseFlag::kDenied, replyDetails());
    callbacks_->resetStream();
    return false;
  }

  std::string replyDetails() const {
    std::vector<int> ids;
    for (const Match& m : matches_) {
      if (ids.size() == kMaxIdsInReply) break;
      if (std::find(ids.begin(), ids.end(), m.rule_id) == ids.end()) ids.push_back(m.rule_id);
    }
    return "waf:" + absl::StrJoin(ids, ",");
  }

  FilterStatus refuse(int status) {
    decided_ = true;
    refused_ = true;
    blocked_ = true;
    callbacks_->streamInfo().fail(http::ResponseFlag::kDenied, "waf");
    callbacks_->sendLocalReply(status, "blocked by the web application firewall\n", replyDetails());
    return FilterStatus::kStop;
  }

  // The end of the filter: counters, and the audit log line.
  void finish() {
    if (!tx_) return;
    if (blocked_) FilterStats::inc(f_.blocked);
    else if (!matches_.empty()) FilterStats::inc(f_.detected);
    for (const Match& m : matches_) {
      auto it = f_.counters.by_rule.find(m.rule_id);
      if (it != f_.counters.by_rule.end()) FilterStats::inc(blocked_ ? *it->second.first : *it->second.second);
    }
    if (!matches_.empty() && AuditLog::enabled()) AuditLog::write(auditLine());
    tx_.reset();
  }

  std::string auditLine() const {
    const StreamInfo& info = callbacks_->streamInfo();
    char when[32];
    time_t now = time(nullptr);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    using waf::jsonString;
    std::string out = absl::StrCat(
        "{\"time\":\"", when, "\",\"request_id\":", jsonString(info.request_id), ",\"client\":", jsonString(info.client_ip),
        ",\"method\":", jsonString(method_), ",\"path\":", jsonString(target_.substr(0, 2048)),
        ",\"host\":", jsonString(host_), ",\"scope\":", jsonString(f_.scope), ",\"mode\":\"",
        f_.block ? "block" : "detect", "\",\"action\":\"", blocked_ ? "blocked" : "detected",
        "\",\"status\":", info.response_code, ",\"rules\":[");
    for (size_t i = 0; i < matches_.size(); i++) {
      const Match& m = matches_[i];
      absl::StrAppend(&out, i ? "," : "", "{\"id\":", m.rule_id, ",\"severity\":", m.severity,
                      ",\"message\":", jsonString(m.message), ",\"data\":", jsonString(m.data), ",\"tags\":[");
      for (size_t k = 0; k < m.tags.size(); k++) absl::StrAppend(&out, k ? "," : "", jsonString(m.tags[k]));
      out += "]}";
    }
    out += "]}";
    return out;
  }

  const WafFactory& f_;
  TransactionPtr tx_;
  std::vector<Match> matches_;
  std::string method_, target_, host_;
  size_t body_bytes_ = 0;
  std::string held_response_;
  std::string replacement_;
  bool decided_ = false;
  bool refused_ = false;
  bool blocked_ = false;
  bool inspecting_response_ = false;
  bool response_blocked_ = false;
  bool response_passed_ = false;
};

void onRuleMessage(void* data, const void* message) {
  if (data == nullptr || message == nullptr) return;
  static_cast<WafFilter*>(data)->addMatch(*static_cast<const modsecurity::RuleMessage*>(message));
}

std::unique_ptr<StreamFilter> WafFactory::create() const { return std::make_unique<WafFilter>(*this); }

}  // namespace

absl::StatusOr<std::shared_ptr<const FilterFactory>> createWafFactory(const Waf& config, const FactoryContext& context) {
  auto rules = CompiledRules::get(config);
  if (!rules.ok()) return rules.status();
  return std::make_shared<const WafFactory>(config, *std::move(rules), context.scope);
}

}  // namespace strait::filters
