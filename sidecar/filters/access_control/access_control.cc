#include "sidecar/filters/access_control/access_control.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace strait::filters {
namespace {

std::unique_ptr<RE2> compileRegex(const std::string& pattern, bool ignore_case) {
  RE2::Options options;
  options.set_log_errors(false);
  options.set_case_sensitive(!ignore_case);
  return std::make_unique<RE2>(pattern, options);
}

}  // namespace

absl::Status AccessPolicy::compileRule(const strait::v1::AccessRule& config, int index, Rule* rule) {
  std::string where = absl::StrCat("rules[", index, "]");
  rule->name = config.name().empty() ? where : config.name();
  rule->allow = config.action() == strait::v1::AccessControl::ALLOW;
  rule->invert_source = config.invert_source();
  for (int i = 0; i < config.source_cidrs_size(); i++) {
    auto cidr = CidrRange::parse(config.source_cidrs(i));
    if (!cidr.ok()) return absl::InvalidArgumentError(absl::StrCat(where, ".source_cidrs[", i, "]: ", cidr.status().message()));
    rule->cidrs.push_back(*cidr);
  }
  const auto& p = config.path();
  rule->ignore_case = p.ignore_case();
  switch (p.match_case()) {
    case strait::v1::AccessPathMatch::kExact: rule->path_kind = Rule::PathKind::kExact; rule->path = p.exact(); break;
    case strait::v1::AccessPathMatch::kPrefix: rule->path_kind = Rule::PathKind::kPrefix; rule->path = p.prefix(); break;
    case strait::v1::AccessPathMatch::kSafeRegex:
      rule->path_kind = Rule::PathKind::kRegex;
      rule->path_regex = compileRegex(p.safe_regex(), p.ignore_case());
      if (!rule->path_regex->ok()) return absl::InvalidArgumentError(absl::StrCat(where, ".path.safe_regex: invalid regex: ", rule->path_regex->error()));
      break;
    case strait::v1::AccessPathMatch::MATCH_NOT_SET: break;
  }
  rule->methods.assign(config.methods().begin(), config.methods().end());
  for (int i = 0; i < config.headers_size(); i++) {
    const auto& h = config.headers(i);
    HeaderCond c;
    c.name = absl::AsciiStrToLower(h.name());
    c.invert = h.invert();
    if (h.match_case() == strait::v1::AccessHeaderMatch::kExact) {
      c.kind = HeaderCond::Kind::kExact;
      c.exact = h.exact();
    } else if (h.match_case() == strait::v1::AccessHeaderMatch::kSafeRegex) {
      c.kind = HeaderCond::Kind::kRegex;
      c.regex = compileRegex(h.safe_regex(), false);
      if (!c.regex->ok()) return absl::InvalidArgumentError(absl::StrCat(where, ".headers[", i, "].safe_regex: invalid regex: ", c.regex->error()));
    } else {
      c.present = h.match_case() == strait::v1::AccessHeaderMatch::MATCH_NOT_SET || h.present();
    }
    rule->headers.push_back(std::move(c));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<const AccessPolicy>> AccessPolicy::compile(const strait::v1::AccessControl& config) {
  auto policy = std::make_unique<AccessPolicy>();
  policy->default_allow_ = config.default_action() == strait::v1::AccessControl::ALLOW;
  policy->max_body_bytes_ = config.max_request_body_bytes();
  policy->max_header_bytes_ = config.max_request_headers_bytes();
  policy->rules_.resize(config.rules_size());
  for (int i = 0; i < config.rules_size(); i++) {
    if (auto s = compileRule(config.rules(i), i, &policy->rules_[i]); !s.ok()) return s;
    if (!policy->rules_[i].cidrs.empty()) policy->uses_client_address_ = true;
  }
  return std::unique_ptr<const AccessPolicy>(std::move(policy));
}

bool AccessPolicy::headerMatches(const HeaderCond& cond, const http::HeaderMap& headers) {
  const std::string* value = headers.get(cond.name);
  bool m = false;
  switch (cond.kind) {
    case HeaderCond::Kind::kExact: m = value != nullptr && *value == cond.exact; break;
    case HeaderCond::Kind::kRegex: m = value != nullptr && RE2::FullMatch(*value, *cond.regex); break;
    case HeaderCond::Kind::kPresent: m = (value != nullptr) == cond.present; break;
  }
  return m != cond.invert;
}

bool AccessPolicy::matches(const Rule& rule, const http::RequestHead& head, std::string_view path,
                           const IpAddress* client) {
  if (!rule.cidrs.empty()) {
    bool in = client != nullptr &&
              std::any_of(rule.cidrs.begin(), rule.cidrs.end(), [&](const CidrRange& c) { return c.contains(*client); });
    if (in == rule.invert_source) return false;
  }
  absl::string_view p(path.data(), path.size());
  switch (rule.path_kind) {
    case Rule::PathKind::kAny: break;
    case Rule::PathKind::kExact:
      if (rule.ignore_case ? !absl::EqualsIgnoreCase(p, rule.path) : p != rule.path) return false;
      break;
    case Rule::PathKind::kPrefix:
      if (rule.ignore_case ? !absl::StartsWithIgnoreCase(p, rule.path) : !absl::StartsWith(p, rule.path)) return false;
      break;
    case Rule::PathKind::kRegex:
      if (!RE2::FullMatch(re2::StringPiece(path.data(), path.size()), *rule.path_regex)) return false;
      break;
  }
  if (!rule.methods.empty() && std::find(rule.methods.begin(), rule.methods.end(), head.method) == rule.methods.end()) {
    return false;
  }
  for (const auto& cond : rule.headers) {
    if (!headerMatches(cond, head.headers)) return false;
  }
  return true;
}

AccessPolicy::Decision AccessPolicy::evaluate(const http::RequestHead& head, const IpAddress* client) const {
  std::string_view path = head.target;
  path = path.substr(0, path.find('?'));
  for (size_t i = 0; i < rules_.size(); i++) {
    if (matches(rules_[i], head, path, client)) return {rules_[i].allow, static_cast<int>(i)};
  }
  return {default_allow_, -1};
}

uint64_t AccessPolicy::headerListSize(const http::RequestHead& head) {
  uint64_t size = (7 + head.method.size() + 32) + (5 + head.target.size() + 32);  // :method, :path
  for (const auto& f : head.headers.fields()) size += f.name.size() + f.value.size() + 32;
  return size;
}

namespace {

struct AccessCounters {
  FilterStats::Counter* denied;
  FilterStats::Counter* body_too_large;
  FilterStats::Counter* headers_too_large;
};

class AccessControlFilter final : public StreamFilter {
 public:
  AccessControlFilter(const AccessPolicy& policy, const AccessCounters& counters)
      : policy_(policy), counters_(counters) {}

  FilterStatus onRequestHead(http::RequestHead& head, bool end_stream) override {
    (void)end_stream;
    if (policy_.maxHeaderBytes() > 0 && AccessPolicy::headerListSize(head) > policy_.maxHeaderBytes()) {
      FilterStats::inc(*counters_.headers_too_large);
      callbacks_->sendLocalReply(431, "request header fields too large\n", "request_headers_too_large");
      return FilterStatus::kStop;
    }
    if (policy_.hasRules() && !checkRules(head)) return FilterStatus::kStop;
    if (policy_.maxBodyBytes() > 0) {
      uint64_t length = 0;
      const std::string* cl = head.headers.get("content-length");
      if (cl != nullptr && absl::SimpleAtoi(*cl, &length) && length > policy_.maxBodyBytes()) {
        bodyTooLarge();
        return FilterStatus::kStop;
      }
    }
    return FilterStatus::kContinue;
  }

  FilterStatus onRequestData(const char* data, size_t len) override {
    (void)data;
    if (policy_.maxBodyBytes() == 0 || over_ || response_started_) return FilterStatus::kContinue;
    received_ += len;
    if (received_ <= policy_.maxBodyBytes()) return FilterStatus::kContinue;
    bodyTooLarge();
    return FilterStatus::kStop;
  }

  // Once the upstream answers, it has accepted the body as it is: the limit no longer applies.
  void onResponseHead(http::ResponseHead& head, http::BodyFraming& framing, uint64_t& length) override {
    (void)head;
    (void)framing;
    (void)length;
    response_started_ = true;
  }

 private:
  bool checkRules(const http::RequestHead& head) {
    IpAddress client;
    bool known = policy_.usesClientAddress() && IpAddress::parse(callbacks_->streamInfo().client_ip, &client);
    AccessPolicy::Decision d = policy_.evaluate(head, known ? &client : nullptr);
    if (d.allow) return true;
    FilterStats::inc(*counters_.denied);
    std::string rule = d.rule < 0 ? std::string("default action") : absl::StrCat("rule '", policy_.ruleName(d.rule), "'");
    std::string details = d.rule < 0 ? std::string("access_denied:default") : "access_denied:" + policy_.ruleName(d.rule);
    callbacks_->streamInfo().failure = http::ResponseFlag::kDenied;
    callbacks_->sendLocalReply(403, absl::StrCat("access denied by ", rule, "\n"), details);
    return false;
  }

  void bodyTooLarge() {
    over_ = true;
    FilterStats::inc(*counters_.body_too_large);
    callbacks_->sendLocalReply(413, absl::StrCat("request body larger than ", policy_.maxBodyBytes(), " bytes\n"),
                               "request_body_too_large");
  }

  const AccessPolicy& policy_;
  const AccessCounters& counters_;
  uint64_t received_ = 0;  // request body bytes seen
  bool over_ = false;      // the body limit was passed (answered once)
  bool response_started_ = false;
};

class AccessControlFactory final : public FilterFactory {
 public:
  AccessControlFactory(std::unique_ptr<const AccessPolicy> policy, const std::string& scope)
      : policy_(std::move(policy)),
        counters_{&FilterStats::counter("strait_access_denied_total", "Requests denied (403) by access_control rules.", scope),
                  &FilterStats::counter("strait_request_body_too_large_total",
                                        "Requests answered 413 by access_control max_request_body_bytes.", scope),
                  &FilterStats::counter("strait_request_headers_too_large_total",
                                        "Requests answered 431 by access_control max_request_headers_bytes.", scope)} {}
  std::string_view kind() const override { return "access_control"; }
  std::unique_ptr<StreamFilter> create() const override {
    if (!policy_->hasRules() && policy_->maxBodyBytes() == 0 && policy_->maxHeaderBytes() == 0) return nullptr;
    return std::make_unique<AccessControlFilter>(*policy_, counters_);
  }

 private:
  std::unique_ptr<const AccessPolicy> policy_;
  AccessCounters counters_;
};

}  // namespace

absl::StatusOr<std::shared_ptr<const FilterFactory>> createAccessControlFactory(
    const strait::v1::AccessControl& config, const FactoryContext& context) {
  auto policy = AccessPolicy::compile(config);
  if (!policy.ok()) return absl::InvalidArgumentError(absl::StrCat("access_control.", policy.status().message()));
  return std::make_shared<const AccessControlFactory>(std::move(*policy), context.scope);
}

}  // namespace strait::filters
