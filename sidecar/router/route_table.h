// A RouteConfiguration compiled for matching: domains indexed, regexes compiled once per
// generation. Immutable after build; shared read-only by all workers through the Snapshot.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "re2/re2.h"
#include "sidecar/core/request_stats.h"
#include "sidecar/filters/filter.h"
#include "sidecar/filters/shared_state.h"
#include "sidecar/http/headers.h"
#include "sidecar/router/header_template.h"
#include "sidecar/router/path_normalizer.h"
#include "sidecar/router/route_index.h"
#include "sidecar/router/route_match.h"
#include "strait/v1/route.pb.h"

namespace strait::proxy {

struct WeightedCluster {
  std::string name;
  uint32_t weight = 0;
};

// RouteAction.retry_policy, compiled (see route.proto for the semantics).
struct RetryPolicy {
  enum On : uint32_t {
    k5xx = 1,
    kGatewayError = 2,
    kReset = 4,
    kConnectFailure = 8,
    kRetriableStatusCodes = 16,
  };
  uint32_t retry_on = 0;  // bits of On; 0: no retries
  uint32_t num_retries = 1;
  int64_t per_try_timeout_ms = 0;  // 0: none
  std::vector<uint32_t> status_codes;
  int64_t base_interval_ms = 25;
  int64_t max_interval_ms = 250;
  uint32_t max_replay_body_bytes = 64 * 1024;

  // Whether a response with `status` is a failure this policy retries.
  bool retriesStatus(int status) const;
};

// RedirectAction, compiled.
struct RedirectSpec {
  std::string scheme;          // "" keeps the request's
  std::string host;            // "" keeps the request's
  uint32_t port = 0;           // 0 keeps the request's (dropped when the scheme changes)
  bool has_path = false;
  std::string path;            // path_redirect (may carry a query)
  bool has_prefix_rewrite = false;
  std::string prefix_rewrite;
  int status = 301;
  bool strip_query = false;
};

// RequestMirrorPolicy, compiled.
struct MirrorPolicy {
  std::string cluster;
  uint32_t per_million = 0;            // share mirrored, in millionths
  uint32_t max_body_bytes = 64 * 1024;
  int64_t timeout_ms = 5000;
};

struct CompiledRoute {
  std::string name;
  std::shared_ptr<RequestStats> stats;  // named routes: strait_route_* (route_stats.h)
  // Match.
  enum class PathKind { kPrefix, kExact, kRegex } path_kind = PathKind::kPrefix;
  std::string path;                      // prefix or exact path
  std::unique_ptr<re2::RE2> path_regex;  // kRegex
  bool case_insensitive = false;
  std::vector<CompiledHeaderMatcher> headers;
  std::vector<CompiledQueryMatcher> query;
  std::vector<std::string> methods;      // empty: any
  std::vector<CidrRange> source_cidrs;   // empty: any
  uint32_t destination_port = 0;         // 0: any
  // Action.
  enum class Action { kRoute, kRedirect, kDirectResponse } action = Action::kRoute;
  std::string cluster;                   // single cluster, or empty with weighted
  std::vector<WeightedCluster> weighted;
  uint64_t total_weight = 0;
  std::string hash_on_header;            // lower-case; "" none
  std::string hash_on_cookie;            // "" none
  bool has_prefix_rewrite = false;
  std::string prefix_rewrite;
  std::unique_ptr<re2::RE2> regex_rewrite;  // null: none
  std::string regex_substitution;
  std::string host_rewrite;              // literal; "" none
  bool auto_host_rewrite = false;
  PathNormalizationOptions normalization;  // the route configuration's
  std::vector<MirrorPolicy> mirrors;
  int64_t timeout_ms = 15000;
  int64_t idle_timeout_ms = 0;          // 0: none
  int64_t max_stream_duration_ms = 0;   // 0: none
  RetryPolicy retry;
  RedirectSpec redirect;                 // kRedirect
  int direct_status = 200;               // kDirectResponse
  std::string direct_body;
  // The HTTP filter chain (virtual host's, then route's); empty for most routes.
  std::vector<std::shared_ptr<const filters::FilterFactory>> filters;
  // Route's, then the virtual host's, then the route configuration's.
  HeaderMutations response_headers;
  HeaderMutations request_headers;

  bool matches(const RouteRequest& request) const;
  // The cluster for this request; `random` is a uniform 64-bit value (weighted split),
  // replaced by the hash of the pinning header/cookie when `headers` has it.
  const std::string& pickCluster(uint64_t random, const http::HeaderMap* headers = nullptr) const;
  // Whether a rewrite (prefix or regex) changes the path.
  bool rewritesPath() const { return has_prefix_rewrite || regex_rewrite != nullptr; }
  // The path (normalised, no query) after prefix_rewrite / regex_rewrite, normalised again.
  std::string rewritePath(std::string_view path) const;
};

struct CompiledVirtualHost {
  std::string name;
  std::vector<CompiledRoute> routes;
  RouteIndex index;  // over `routes`, built once they are all compiled
};

class RouteTable {
 public:
  // Compiles `config`. Fails (INVALID_ARGUMENT naming the field) only on input that
  // validation should already have refused, e.g. a regex RE2 cannot compile.
  // `shared` keeps filter state across generations (null: a private store, for tests).
  // `fingerprint` identifies `config`'s content (the snapshot builder passes its
  // deterministic serialization; "" for none): a later generation whose configuration has
  // the same fingerprint reuses this table.
  static absl::StatusOr<std::unique_ptr<RouteTable>> build(const strait::v1::RouteConfiguration& config,
                                                          filters::SharedState* shared = nullptr,
                                                          std::string fingerprint = "");

  // Virtual host by host (port stripped, case-insensitive), then the first matching route.
  // `request.path` is normalised (see normalization()) and excludes the query. Returns
  // nullptr when nothing matches (404). Never blocks, never allocates for prefix/exact routes.
  const CompiledRoute* route(const RouteRequest& request) const;
  // Shorthand for tests and tools: GET, no query, unknown client.
  const CompiledRoute* route(std::string_view host, std::string_view path,
                             const http::HeaderMap& headers) const;
  // The same answer by a plain first-match scan, without the index (tests, benchmarks).
  const CompiledRoute* routeLinear(const RouteRequest& request) const;
  const std::string& name() const { return name_; }
  const std::string& fingerprint() const { return fingerprint_; }
  const PathNormalizationOptions& normalization() const { return normalization_; }
  // Whether some route matches on the client address (the caller then parses it).
  bool usesSourceCidrs() const { return uses_source_cidrs_; }

 private:
  const CompiledVirtualHost* findVirtualHost(std::string_view host) const;

  std::string name_;
  std::string fingerprint_;  // of the configuration compiled ("" unknown: never reused)
  std::vector<CompiledVirtualHost> vhosts_;
  absl::flat_hash_map<std::string, size_t> exact_;                // domain -> vhost index
  std::vector<std::pair<std::string, size_t>> suffix_wildcards_;  // "*.x.com" -> ".x.com", longest first
  std::vector<std::pair<std::string, size_t>> prefix_wildcards_;  // "api.*" -> "api.", longest first
  int default_vhost_ = -1;                                        // "*"
  PathNormalizationOptions normalization_;
  bool uses_source_cidrs_ = false;
};

}  // namespace strait::proxy
