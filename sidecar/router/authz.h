// A listener's AuthorizationPolicy compiled once per generation, evaluated per request
// after routing: any matching DENY rule refuses; otherwise, if there are ALLOW rules, one must
// match. Immutable; shared by workers through the Snapshot.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "strait/v1/listener.pb.h"

namespace strait::proxy {

class AuthzPolicy {
 public:
  explicit AuthzPolicy(const strait::v1::AuthorizationPolicy& policy);

  struct Decision {
    bool allowed = true;
    const std::string* rule = nullptr;  // the deciding rule's name (nullptr: no rule decided)
  };
  // `peer` is the verified SPIFFE ID of the client ("" for plaintext or no certificate).
  Decision evaluate(std::string_view peer, std::string_view path, std::string_view method) const;
  bool empty() const { return rules_.empty(); }

 private:
  struct Rule {
    std::string name;
    bool deny = false;
    std::vector<std::string> principals;  // exact, or prefix when ending in '*'
    std::vector<std::string> path_prefixes;
    std::vector<std::string> methods;
    bool matches(std::string_view peer, std::string_view path, std::string_view method) const;
  };
  std::vector<Rule> rules_;
  bool has_allow_ = false;
  std::string default_deny_name_ = "no ALLOW rule matched";
};

}  // namespace strait::proxy
