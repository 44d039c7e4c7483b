// Internal helpers shared by validate.cc and validate_routes.cc (not part of the API).
#pragma once

#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "google/protobuf/duration.pb.h"
#include "strait/v1/generation.pb.h"
#include "xds/field_rules.h"

namespace strait::xds::internal {

// Collects problems, one line each: "<kind> '<name>': <field>: <reason>".
class Problems {
 public:
  void add(const std::string& kind, const std::string& name, const std::string& field,
           const std::string& reason);
  bool empty() const { return lines_.empty(); }
  std::string joined() const;

 private:
  std::vector<std::string> lines_;
};

// Names of the resources of each kind, for reference checks (only looked up: every route
// of a 100,000-route generation checks its cluster here).
struct NameIndex {
  absl::flat_hash_set<std::string> route_configs;  // RouteConfiguration.name
  absl::flat_hash_set<std::string> clusters;       // Cluster.name
  absl::flat_hash_set<std::string> http2_clusters; // Cluster.name of protocol HTTP2 clusters
};

// Field rules shared with the filters' validation (xds/field_rules.h).
using xds::isCidr;
using xds::isIpLiteral;
using xds::isHeaderName;
using xds::isHeaderValue;
using xds::isValidDuration;
using xds::regexError;
using xds::toNanos;

// TLS of listeners and clusters: secret references, enums, impossible combinations.
void validateTls(const strait::v1::Generation& gen, Problems* problems);

// A cluster's health_check and outlier_detection (validate_health.cc).
void validateClusterHealth(const strait::v1::Cluster& cluster, Problems* problems);
// Load balancing of clusters (validate_lb.cc): lb_config fits lb_policy, sizes in range,
// Maglev table size prime, panic threshold a percentage.
void validateLoadBalancing(const strait::v1::Generation& gen, Problems* problems);

// The `filters` of a virtual host or route (validate_filters.cc); `base` is the field path.
void validateHttpFilters(const std::string& route_config, const std::string& base,
                         const google::protobuf::RepeatedPtrField<strait::v1::HttpFilter>& filters,
                         Problems* problems);
void validateRouteConfig(const strait::v1::RouteConfiguration& rc, const NameIndex& names,
                         Problems* problems);

}  // namespace strait::xds::internal
