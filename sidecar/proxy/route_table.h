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
#include "sidecar/filters/filter.h"
#include "sidecar/filters/shared_state.h"
#include "sidecar/http/headers.h"
#include "strait/v1/route.pb.h"

namespace strait::proxy {

struct HeaderToAdd {
  std::string key;    // lower-case
  std::string value;
  bool append = false;
};

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

struct CompiledHeaderMatcher {
  std::string name;  // lower-case
  enum class Kind { kExact, kRegex, kPresent } kind = Kind::kPresent;
  std::string exact;
  std::unique_ptr<re2::RE2> regex;
  bool present = true;
  bool invert = false;
  bool matches(const http::HeaderMap& headers) const;
};

struct CompiledRoute {
  std::string name;
  enum class PathKind { kPrefix, kExact, kRegex } path_kind = PathKind::kPrefix;
  std::string path;                      // prefix or exact path
  std::unique_ptr<re2::RE2> path_regex;  // kRegex
  std::vector<CompiledHeaderMatcher> headers;
  // Action.
  std::string cluster;                   // single cluster, or empty with weighted
  std::vector<WeightedCluster> weighted;
  uint64_t total_weight = 0;
  bool has_prefix_rewrite = false;
  std::string prefix_rewrite;
  int64_t timeout_ms = 15000;
  int64_t idle_timeout_ms = 0;          // 0: none
  int64_t max_stream_duration_ms = 0;   // 0: none
  RetryPolicy retry;
  // The HTTP filter chain (virtual host's, then route's); empty for most routes.
  std::vector<std::shared_ptr<const filters::FilterFactory>> filters;
  std::vector<HeaderToAdd> response_headers;  // route's, then the route config's
  std::vector<HeaderToAdd> request_headers;

  bool matches(std::string_view path, const http::HeaderMap& headers) const;
  // The cluster for this request; `random` is a uniform 64-bit value (weighted split).
  const std::string& pickCluster(uint64_t random) const;
};

struct CompiledVirtualHost {
  std::string name;
  std::vector<CompiledRoute> routes;
};

class RouteTable {
 public:
  // Compiles `config`. Fails (INVALID_ARGUMENT naming the field) only on input that
  // validation should already have refused, e.g. a regex RE2 cannot compile.
  // `shared` keeps filter state across generations (null: a private store, for tests).
  static absl::StatusOr<std::unique_ptr<RouteTable>> build(const strait::v1::RouteConfiguration& config,
                                                          filters::SharedState* shared = nullptr);

  // Virtual host by host (port stripped, case-insensitive), then the first matching route.
  // `path` excludes the query. Returns nullptr when nothing matches (404).
  const CompiledRoute* route(std::string_view host, std::string_view path,
                             const http::HeaderMap& headers) const;
  const std::string& name() const { return name_; }

 private:
  const CompiledVirtualHost* findVirtualHost(std::string_view host) const;

  std::string name_;
  std::vector<CompiledVirtualHost> vhosts_;
  absl::flat_hash_map<std::string, size_t> exact_;                // domain -> vhost index
  std::vector<std::pair<std::string, size_t>> suffix_wildcards_;  // "*.x.com" -> ".x.com", longest first
  std::vector<std::pair<std::string, size_t>> prefix_wildcards_;  // "api.*" -> "api.", longest first
  int default_vhost_ = -1;                                        // "*"
};

}  // namespace strait::proxy
