// The access_control filter (proto AccessControl): ordered allow/deny rules on the client
// address, path, method and headers (403), and request size limits (413 body, 431 headers).
// The config is compiled once per generation into AccessPolicy; per request the filter only
// compares. THREADS: AccessPolicy and the factory are immutable and shared by the workers;
// a filter lives on its request's worker.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "re2/re2.h"
#include "sidecar/filters/access_control/cidr.h"
#include "sidecar/filters/filter_stats.h"
#include "sidecar/filters/registry.h"
#include "strait/v1/filter_access.pb.h"

namespace strait::filters {

class AccessPolicy {
 public:
  struct Decision {
    bool allow = true;
    int rule = -1;  // index of the deciding rule, -1 for the default action
  };
  static absl::StatusOr<std::unique_ptr<const AccessPolicy>> compile(const strait::v1::AccessControl& config);

  // `client` is nullptr when the client address is unknown (no CIDR condition matches).
  Decision evaluate(const http::RequestHead& head, const IpAddress* client) const;
  const std::string& ruleName(int rule) const { return rules_[rule].name; }
  bool hasRules() const { return !rules_.empty() || !default_allow_; }
  // Some rule has source_cidrs (else the client address need not be parsed).
  bool usesClientAddress() const { return uses_client_address_; }
  uint64_t maxBodyBytes() const { return max_body_bytes_; }
  uint64_t maxHeaderBytes() const { return max_header_bytes_; }
  // The header list size as HTTP/2 counts it (RFC 9113 6.5.2), :method and :path included.
  static uint64_t headerListSize(const http::RequestHead& head);

 private:
  struct HeaderCond {
    std::string name;                 // lower-case
    enum class Kind { kExact, kRegex, kPresent } kind = Kind::kPresent;
    std::string exact;
    std::unique_ptr<RE2> regex;
    bool present = true;              // kPresent: true = must be present, false = absent
    bool invert = false;
  };
  struct Rule {
    std::string name;
    bool allow = true;
    std::vector<CidrRange> cidrs;     // empty: any client
    bool invert_source = false;
    enum class PathKind { kAny, kExact, kPrefix, kRegex } path_kind = PathKind::kAny;
    std::string path;                 // kExact/kPrefix value
    bool ignore_case = false;
    std::unique_ptr<RE2> path_regex;  // kRegex
    std::vector<std::string> methods; // empty: any method
    std::vector<HeaderCond> headers;
  };
  static absl::Status compileRule(const strait::v1::AccessRule& config, int index, Rule* rule);
  static bool matches(const Rule& rule, const http::RequestHead& head, std::string_view path,
                      const IpAddress* client);
  static bool headerMatches(const HeaderCond& cond, const http::HeaderMap& headers);

  std::vector<Rule> rules_;
  bool default_allow_ = true;
  bool uses_client_address_ = false;
  uint64_t max_body_bytes_ = 0;    // 0: no limit
  uint64_t max_header_bytes_ = 0;  // 0: no limit
};

absl::StatusOr<std::shared_ptr<const FilterFactory>> createAccessControlFactory(
    const strait::v1::AccessControl& config, const FactoryContext& context);

}  // namespace strait::filters
