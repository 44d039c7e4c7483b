#include "sidecar/router/authz.h"

namespace strait::proxy {
namespace {

bool principalMatches(const std::string& pattern, std::string_view peer) {
  if (peer.empty()) return false;  // no identity matches no principal
  if (!pattern.empty() && pattern.back() == '*') {
    return peer.substr(0, pattern.size() - 1) == std::string_view(pattern).substr(0, pattern.size() - 1);
  }
  return peer == pattern;
}

template <typename Pred>
bool anyOrEmpty(const std::vector<std::string>& items, Pred pred) {
  if (items.empty()) return true;
  for (const auto& i : items) {
    if (pred(i)) return true;
  }
  return false;
}

}  // namespace

AuthzPolicy::AuthzPolicy(const strait::v1::AuthorizationPolicy& policy) {
  for (const auto& r : policy.rules()) {
    Rule rule;
    rule.name = r.name();
    rule.deny = r.action() == strait::v1::AuthorizationRule::DENY;
    rule.principals.assign(r.principals().begin(), r.principals().end());
    rule.path_prefixes.assign(r.path_prefixes().begin(), r.path_prefixes().end());
    rule.methods.assign(r.methods().begin(), r.methods().end());
    has_allow_ |= !rule.deny;
    rules_.push_back(std::move(rule));
  }
}

bool AuthzPolicy::Rule::matches(std::string_view peer, std::string_view path, std::string_view method) const {
  return anyOrEmpty(principals, [&](const std::string& p) { return principalMatches(p, peer); }) &&
         anyOrEmpty(path_prefixes, [&](const std::string& p) { return path.substr(0, p.size()) == p; }) &&
         anyOrEmpty(methods, [&](const std::string& m) { return method == m; });
}

AuthzPolicy::Decision AuthzPolicy::evaluate(std::string_view peer, std::string_view path,
                                            std::string_view method) const {
  const Rule* allow = nullptr;
  for (const auto& r : rules_) {
    if (!r.matches(peer, path, method)) continue;
    if (r.deny) return {false, &r.name};
    if (allow == nullptr) allow = &r;
  }
  if (allow != nullptr) return {true, &allow->name};
  if (has_allow_) return {false, &default_deny_name_};
  return {true, nullptr};
}

}  // namespace strait::proxy
