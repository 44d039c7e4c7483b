// Configured header additions compiled once per generation: a value with variables
// (%REQ_ID%, ... see HeaderValue in route.proto) is split into literal and variable
// segments, so a request only concatenates. Immutable after compile; any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "sidecar/http/headers.h"

namespace strait::proxy {

// What variables expand to for one request (views valid for the call).
struct HeaderVars {
  std::string_view client_ip;      // %DOWNSTREAM_REMOTE_ADDRESS%
  std::string_view request_id;     // %REQ_ID%
  std::string_view peer_identity;  // %PEER_IDENTITY%
  std::string_view route_name;     // %ROUTE_NAME%
  std::string_view upstream_host;  // %UPSTREAM_HOST%
};

class HeaderTemplate {
 public:
  enum class Var { kLiteral, kClientIp, kRequestId, kPeerIdentity, kRouteName, kUpstreamHost };
  // Splits `value`; INVALID_ARGUMENT naming the unknown variable or a lone "%".
  static absl::StatusOr<HeaderTemplate> compile(std::string_view value);
  std::string render(const HeaderVars& vars) const;
  bool usesUpstreamHost() const { return uses_upstream_host_; }

 private:
  struct Segment {
    Var var = Var::kLiteral;
    std::string literal;  // kLiteral
  };
  std::vector<Segment> segments_;
  bool uses_upstream_host_ = false;
};

struct HeaderToAdd {
  enum class Action { kAdd, kSet, kAppend, kAddIfAbsent };
  std::string key;  // lower-case
  HeaderTemplate value;
  Action action = Action::kSet;
};

// A compiled set of header changes: removals, then additions in order.
struct HeaderMutations {
  std::vector<std::string> remove;  // lower-case names
  std::vector<HeaderToAdd> add;
  bool empty() const { return remove.empty() && add.empty(); }
  // Whether an addition uses %UPSTREAM_HOST% (request side: applied per attempt).
  bool usesUpstreamHost() const;
  // Applies every change (only those that use %UPSTREAM_HOST% when `only_upstream_host`,
  // only the others when `skip_upstream_host`).
  void apply(http::HeaderMap& headers, const HeaderVars& vars, bool skip_upstream_host = false,
             bool only_upstream_host = false) const;
};

}  // namespace strait::proxy
