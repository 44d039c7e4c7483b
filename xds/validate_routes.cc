// Validation of RouteConfigurations (see validate.h for the rules).
#include <set>

#include "absl/strings/str_cat.h"
#include "xds/validate_internal.h"

namespace strait::xds::internal {
namespace {

using strait::v1::HeaderValue;
using strait::v1::Route;
using strait::v1::RouteConfiguration;

// Context of one route configuration's checks.
struct Ctx {
  const std::string& name;  // route configuration name
  const NameIndex& names;   // all resource names
  Problems* problems;       // output
  void Add(const std::string& field, const std::string& reason) const {
    problems->Add("route_config", name, field, reason);
  }
};

void CheckHeadersToAdd(const Ctx& ctx, const std::string& base,
                       const google::protobuf::RepeatedPtrField<HeaderValue>& headers) {
  for (int i = 0; i < headers.size(); ++i) {
    const std::string path = absl::StrCat(base, "[", i, "]");
    if (!IsHeaderName(headers[i].key())) {
      ctx.Add(path + ".key", absl::StrCat("invalid header name '", headers[i].key(), "'"));
    }
    if (!IsHeaderValue(headers[i].value())) {
      ctx.Add(path + ".value", "header value must not contain CR, LF or NUL");
    }
  }
}

void CheckMatch(const Ctx& ctx, const std::string& base, const strait::v1::RouteMatch& m) {
  if (m.path_specifier_case() == strait::v1::RouteMatch::PATH_SPECIFIER_NOT_SET) {
    ctx.Add(base, "exactly one of prefix, path, safe_regex is required");
  }
  if (m.has_safe_regex()) {
    std::string err = RegexError(m.safe_regex());
    if (!err.empty()) ctx.Add(base + ".safe_regex", "invalid regex: " + err);
  }
  for (int i = 0; i < m.headers_size(); ++i) {
    const auto& h = m.headers(i);
    const std::string path = absl::StrCat(base, ".headers[", i, "]");
    // Pseudo-headers (":authority", ":method", ...) may be matched too.
    const std::string bare = (!h.name().empty() && h.name()[0] == ':') ? h.name().substr(1)
                                                                       : h.name();
    if (!IsHeaderName(bare)) ctx.Add(path + ".name", "invalid header name '" + h.name() + "'");
    if (h.has_safe_regex_match()) {
      std::string err = RegexError(h.safe_regex_match());
      if (!err.empty()) ctx.Add(path + ".safe_regex_match", "invalid regex: " + err);
    }
    if (h.has_exact_match() && !IsHeaderValue(h.exact_match())) {
      ctx.Add(path + ".exact_match", "header value must not contain CR, LF or NUL");
    }
  }
}

void CheckWeighted(const Ctx& ctx, const std::string& base,
                   const strait::v1::WeightedClusters& wc) {
  bool any_positive = false;
  for (int i = 0; i < wc.clusters_size(); ++i) {
    const auto& cw = wc.clusters(i);
    const std::string path = absl::StrCat(base, ".clusters[", i, "]");
    if (ctx.names.clusters.count(cw.name()) == 0) {
      ctx.Add(path + ".name", "unknown cluster '" + cw.name() + "'");
    }
    if (cw.weight() > 10000) {
      ctx.Add(path + ".weight", absl::StrCat("weight ", cw.weight(), " out of range 0..10000"));
    }
    if (cw.weight() > 0) any_positive = true;
  }
  if (!any_positive) ctx.Add(base, "at least one cluster needs a weight above 0");
}

void CheckRetryPolicy(const Ctx& ctx, const std::string& base, const strait::v1::RetryPolicy& p) {
  static const std::set<std::string> kConditions = {"5xx", "gateway-error", "reset", "connect-failure",
                                                    "retriable-status-codes"};
  if (p.retry_on_size() == 0) ctx.Add(base + ".retry_on", "at least one condition is required");
  for (int i = 0; i < p.retry_on_size(); ++i) {
    if (kConditions.count(p.retry_on(i)) == 0) {
      ctx.Add(absl::StrCat(base, ".retry_on[", i, "]"),
              "unknown condition '" + p.retry_on(i) +
                  "' (expected 5xx, gateway-error, reset, connect-failure or retriable-status-codes)");
    }
  }
  if (p.num_retries() > 10) ctx.Add(base + ".num_retries", "must be at most 10");
  for (int i = 0; i < p.retriable_status_codes_size(); ++i) {
    uint32_t code = p.retriable_status_codes(i);
    if (code < 100 || code > 599) {
      ctx.Add(absl::StrCat(base, ".retriable_status_codes[", i, "]"), "must be between 100 and 599");
    }
  }
  auto check = [&](const char* field, const google::protobuf::Duration& d, int64_t max_ns) {
    if (!IsValidDuration(d) || ToNanos(d) < 0 || ToNanos(d) > max_ns) {
      ctx.Add(base + "." + field, absl::StrCat("must be a valid duration between 0 and ", max_ns / 1000000000, "s"));
    }
  };
  check("per_try_timeout", p.per_try_timeout(), int64_t{3600} * 1000000000);
  check("base_interval", p.base_interval(), int64_t{10} * 1000000000);
  check("max_interval", p.max_interval(), int64_t{60} * 1000000000);
  if (ToNanos(p.max_interval()) > 0 && ToNanos(p.max_interval()) < ToNanos(p.base_interval())) {
    ctx.Add(base + ".max_interval", "must not be below base_interval");
  }
  if (p.max_replay_body_bytes() > 16u * 1024 * 1024) {
    ctx.Add(base + ".max_replay_body_bytes", "must be at most 16 MiB (16777216)");
  }
}

void CheckAction(const Ctx& ctx, const std::string& base, const Route& route) {
  const auto& a = route.route();
  switch (a.cluster_specifier_case()) {
    case strait::v1::RouteAction::kCluster:
      if (ctx.names.clusters.count(a.cluster()) == 0) {
        ctx.Add(base + ".cluster", "unknown cluster '" + a.cluster() + "'");
      }
      break;
    case strait::v1::RouteAction::kWeightedClusters:
      CheckWeighted(ctx, base + ".weighted_clusters", a.weighted_clusters());
      break;
    default:
      ctx.Add(base, "one of cluster, weighted_clusters is required");
  }
  if (!a.prefix_rewrite().empty() && !route.match().has_prefix()) {
    ctx.Add(base + ".prefix_rewrite", "only allowed with a prefix match");
  }
  if (a.has_timeout() && (!IsValidDuration(a.timeout()) || ToNanos(a.timeout()) < 0)) {
    ctx.Add(base + ".timeout", "must be a valid duration >= 0");
  }
  if (a.has_idle_timeout() && (!IsValidDuration(a.idle_timeout()) || ToNanos(a.idle_timeout()) < 0)) {
    ctx.Add(base + ".idle_timeout", "must be a valid duration >= 0");
  }
  if (a.has_max_stream_duration() &&
      (!IsValidDuration(a.max_stream_duration()) || ToNanos(a.max_stream_duration()) < 0)) {
    ctx.Add(base + ".max_stream_duration", "must be a valid duration >= 0");
  }
  if (a.has_retry_policy()) CheckRetryPolicy(ctx, base + ".retry_policy", a.retry_policy());
}

// Filter configs that have checks of their own.
void CheckFilters(const Ctx& ctx, const std::string& base,
                  const google::protobuf::RepeatedPtrField<strait::v1::HttpFilter>& filters) {
  for (int i = 0; i < filters.size(); ++i) {
    const std::string path = absl::StrCat(base, "[", i, "]");
    if (filters[i].has_compression()) {
      ValidateCompression(filters[i].compression(), path + ".compression", ctx.name, ctx.problems);
    }
  }
}

void CheckVirtualHost(const Ctx& ctx, int index, const strait::v1::VirtualHost& vh,
                      std::set<std::string>* domains) {
  const std::string base = absl::StrCat("virtual_hosts[", index, "]");
  if (vh.domains_size() == 0) ctx.Add(base + ".domains", "at least one domain is required");
  for (int i = 0; i < vh.domains_size(); ++i) {
    const std::string& d = vh.domains(i);
    const std::string path = absl::StrCat(base, ".domains[", i, "]");
    size_t star = d.find('*');
    bool star_ok = star == std::string::npos || d == "*" ||
                   (d.rfind('*') == star && (star == 0 || star == d.size() - 1));
    if (d.empty() || !star_ok) ctx.Add(path, "invalid domain '" + d + "'");
    if (!domains->insert(d).second) ctx.Add(path, "duplicate domain '" + d + "'");
  }
  ValidateHttpFilters(ctx.name, base + ".filters", vh.filters(), ctx.problems);
  CheckFilters(ctx, base + ".filters", vh.filters());
  for (int i = 0; i < vh.routes_size(); ++i) {
    const std::string path = absl::StrCat(base, ".routes[", i, "]");
    CheckFilters(ctx, path + ".filters", vh.routes(i).filters());
    CheckMatch(ctx, path + ".match", vh.routes(i).match());
    CheckAction(ctx, path + ".route", vh.routes(i));
    ValidateHttpFilters(ctx.name, path + ".filters", vh.routes(i).filters(), ctx.problems);
    CheckHeadersToAdd(ctx, path + ".response_headers_to_add",
                      vh.routes(i).response_headers_to_add());
    CheckHeadersToAdd(ctx, path + ".request_headers_to_add",
                      vh.routes(i).request_headers_to_add());
  }
}

}  // namespace

void ValidateRouteConfig(const RouteConfiguration& rc, const NameIndex& names,
                         Problems* problems) {
  Ctx ctx{rc.name(), names, problems};
  std::set<std::string> domains;
  std::set<std::string> vh_names;
  for (int i = 0; i < rc.virtual_hosts_size(); ++i) {
    const auto& vh = rc.virtual_hosts(i);
    if (!vh.name().empty() && !vh_names.insert(vh.name()).second) {
      ctx.Add(absl::StrCat("virtual_hosts[", i, "].name"),
              "duplicate virtual host name '" + vh.name() + "'");
    }
    CheckVirtualHost(ctx, i, vh, &domains);
  }
  CheckHeadersToAdd(ctx, "response_headers_to_add", rc.response_headers_to_add());
}

}  // namespace strait::xds::internal
