// Validation of RouteConfigurations (see validate.h for the rules).
#include <algorithm>
#include <cctype>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "re2/re2.h"
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
  void add(const std::string& field, const std::string& reason) const {
    problems->add("route_config", name, field, reason);
  }
};

// "" if every %VARIABLE% in `value` is known (see HeaderValue in route.proto), else why not.
std::string headerVariableError(const std::string& value) {
  static const std::set<std::string> kVariables = {"DOWNSTREAM_REMOTE_ADDRESS", "REQ_ID", "PEER_IDENTITY",
                                                   "ROUTE_NAME", "UPSTREAM_HOST"};
  for (size_t i = 0; i < value.size(); ++i) {
    if (value[i] != '%') continue;
    if (i + 1 < value.size() && value[i + 1] == '%') {
      ++i;
      continue;
    }
    size_t end = value.find('%', i + 1);
    if (end == std::string::npos) return "unterminated variable (a literal '%' is written '%%')";
    std::string name = value.substr(i + 1, end - i - 1);
    if (kVariables.count(name) == 0) {
      return "unknown variable '%" + name +
             "%' (expected %DOWNSTREAM_REMOTE_ADDRESS%, %REQ_ID%, %PEER_IDENTITY%, %ROUTE_NAME% or "
             "%UPSTREAM_HOST%)";
    }
    i = end;
  }
  return "";
}

void checkHeadersToAdd(const Ctx& ctx, const std::string& base,
                       const google::protobuf::RepeatedPtrField<HeaderValue>& headers) {
  for (int i = 0; i < headers.size(); ++i) {
    const std::string path = absl::StrCat(base, "[", i, "]");
    if (!isHeaderName(headers[i].key())) {
      ctx.add(path + ".key", absl::StrCat("invalid header name '", headers[i].key(), "'"));
    }
    if (!isHeaderValue(headers[i].value())) {
      ctx.add(path + ".value", "header value must not contain CR, LF or NUL");
    }
    std::string err = headerVariableError(headers[i].value());
    if (!err.empty()) ctx.add(path + ".value", err);
  }
}

void checkHeadersToRemove(const Ctx& ctx, const std::string& base,
                          const google::protobuf::RepeatedPtrField<std::string>& names) {
  for (int i = 0; i < names.size(); ++i) {
    const std::string path = absl::StrCat(base, "[", i, "]");
    if (!isHeaderName(names[i])) {
      ctx.add(path, absl::StrCat("invalid header name '", names[i], "'"));
    } else if (absl::AsciiStrToLower(names[i]) == "host") {
      ctx.add(path, "'host' cannot be removed");
    }
  }
}

// The four header lists of a route, virtual host or route configuration.
template <typename T>
void checkHeaderMutations(const Ctx& ctx, const std::string& prefix, const T& m) {
  checkHeadersToAdd(ctx, prefix + "request_headers_to_add", m.request_headers_to_add());
  checkHeadersToAdd(ctx, prefix + "response_headers_to_add", m.response_headers_to_add());
  checkHeadersToRemove(ctx, prefix + "request_headers_to_remove", m.request_headers_to_remove());
  checkHeadersToRemove(ctx, prefix + "response_headers_to_remove", m.response_headers_to_remove());
}

void checkQueryParameters(const Ctx& ctx, const std::string& base, const strait::v1::RouteMatch& m) {
  for (int i = 0; i < m.query_parameters_size(); ++i) {
    const auto& q = m.query_parameters(i);
    const std::string path = absl::StrCat(base, ".query_parameters[", i, "]");
    if (q.name().empty()) ctx.add(path + ".name", "must not be empty");
    if (q.has_safe_regex_match()) {
      std::string err = regexError(q.safe_regex_match());
      if (!err.empty()) ctx.add(path + ".safe_regex_match", "invalid regex: " + err);
    }
  }
}

void checkMatchExtras(const Ctx& ctx, const std::string& base, const strait::v1::RouteMatch& m) {
  checkQueryParameters(ctx, base, m);
  for (int i = 0; i < m.methods_size(); ++i) {
    if (!isHeaderName(m.methods(i))) {
      ctx.add(absl::StrCat(base, ".methods[", i, "]"), "invalid method '" + m.methods(i) + "'");
    }
  }
  for (int i = 0; i < m.source_cidrs_size(); ++i) {
    if (!isCidr(m.source_cidrs(i))) {
      ctx.add(absl::StrCat(base, ".source_cidrs[", i, "]"),
              "invalid CIDR '" + m.source_cidrs(i) + "' (expected e.g. 10.0.0.0/8 or ::1/128)");
    }
  }
  if (m.destination_port() > 65535) ctx.add(base + ".destination_port", "must be 0 (any) or 1..65535");
}

void checkMatch(const Ctx& ctx, const std::string& base, const strait::v1::RouteMatch& m) {
  if (m.path_specifier_case() == strait::v1::RouteMatch::PATH_SPECIFIER_NOT_SET) {
    ctx.add(base, "exactly one of prefix, path, safe_regex is required");
  }
  if (m.has_safe_regex()) {
    std::string err = regexError(m.safe_regex());
    if (!err.empty()) ctx.add(base + ".safe_regex", "invalid regex: " + err);
  }
  checkMatchExtras(ctx, base, m);
  for (int i = 0; i < m.headers_size(); ++i) {
    const auto& h = m.headers(i);
    const std::string path = absl::StrCat(base, ".headers[", i, "]");
    // Pseudo-headers (":authority", ":method", ...) may be matched too.
    const std::string bare = (!h.name().empty() && h.name()[0] == ':') ? h.name().substr(1)
                                                                       : h.name();
    if (!isHeaderName(bare)) ctx.add(path + ".name", "invalid header name '" + h.name() + "'");
    if (h.has_safe_regex_match()) {
      std::string err = regexError(h.safe_regex_match());
      if (!err.empty()) ctx.add(path + ".safe_regex_match", "invalid regex: " + err);
    }
    if (h.has_exact_match() && !isHeaderValue(h.exact_match())) {
      ctx.add(path + ".exact_match", "header value must not contain CR, LF or NUL");
    }
  }
}

void checkWeighted(const Ctx& ctx, const std::string& base,
                   const strait::v1::WeightedClusters& wc) {
  bool any_positive = false;
  for (int i = 0; i < wc.clusters_size(); ++i) {
    const auto& cw = wc.clusters(i);
    const std::string path = absl::StrCat(base, ".clusters[", i, "]");
    if (ctx.names.clusters.count(cw.name()) == 0) {
      ctx.add(path + ".name", "unknown cluster '" + cw.name() + "'");
    }
    if (cw.weight() > 10000) {
      ctx.add(path + ".weight", absl::StrCat("weight ", cw.weight(), " out of range 0..10000"));
    }
    if (cw.weight() > 0) any_positive = true;
  }
  if (!any_positive) ctx.add(base, "at least one cluster needs a weight above 0");
  if (!wc.hash_on_header().empty() && !wc.hash_on_cookie().empty()) {
    ctx.add(base + ".hash_on_cookie", "only one of hash_on_header, hash_on_cookie may be set");
  }
  if (!wc.hash_on_header().empty() && !isHeaderName(wc.hash_on_header())) {
    ctx.add(base + ".hash_on_header", "invalid header name '" + wc.hash_on_header() + "'");
  }
  if (!wc.hash_on_cookie().empty() && !isHeaderName(wc.hash_on_cookie())) {
    ctx.add(base + ".hash_on_cookie", "invalid cookie name '" + wc.hash_on_cookie() + "'");
  }
}

void checkRewrites(const Ctx& ctx, const std::string& base, const strait::v1::RouteAction& a) {
  if (a.has_regex_rewrite()) {
    const auto& rr = a.regex_rewrite();
    std::string err = rr.pattern().empty() ? "must not be empty" : regexError(rr.pattern());
    if (!err.empty()) {
      ctx.add(base + ".regex_rewrite.pattern", rr.pattern().empty() ? err : "invalid regex: " + err);
    } else {
      re2::RE2 re(rr.pattern(), re2::RE2::Quiet);
      std::string why;
      if (!re.CheckRewriteString(rr.substitution(), &why)) ctx.add(base + ".regex_rewrite.substitution", why);
    }
    if (!a.prefix_rewrite().empty()) {
      ctx.add(base + ".regex_rewrite", "only one of prefix_rewrite, regex_rewrite may be set");
    }
  }
  if (a.has_host_rewrite_literal() &&
      (a.host_rewrite_literal().empty() || !isHeaderValue(a.host_rewrite_literal()) ||
       a.host_rewrite_literal().find_first_of(" /?#@") != std::string::npos)) {
    ctx.add(base + ".host_rewrite_literal", "must be a host[:port] without spaces, '/', '?', '#' or '@'");
  }
}

void checkMirrors(const Ctx& ctx, const std::string& base, const strait::v1::RouteAction& a) {
  for (int i = 0; i < a.request_mirror_policies_size(); ++i) {
    const auto& m = a.request_mirror_policies(i);
    const std::string path = absl::StrCat(base, ".request_mirror_policies[", i, "]");
    if (ctx.names.clusters.count(m.cluster()) == 0) {
      ctx.add(path + ".cluster", "unknown cluster '" + m.cluster() + "'");
    } else if (ctx.names.http2_clusters.count(m.cluster()) != 0) {
      ctx.add(path + ".cluster", "cluster '" + m.cluster() + "' is HTTP2; mirrors are sent over HTTP/1.1");
    }
    if (!(m.runtime_percent() >= 0.0 && m.runtime_percent() <= 100.0)) {
      ctx.add(path + ".runtime_percent", "must be between 0 and 100");
    }
    if (m.max_body_bytes() > 16u * 1024 * 1024) {
      ctx.add(path + ".max_body_bytes", "must be at most 16 MiB (16777216)");
    }
    if (m.has_timeout() && (!isValidDuration(m.timeout()) || toNanos(m.timeout()) < 0)) {
      ctx.add(path + ".timeout", "must be a valid duration >= 0");
    }
  }
}

bool isHostName(const std::string& host) {
  if (host.empty()) return false;
  if (isIpLiteral(host)) return true;
  return std::all_of(host.begin(), host.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.'; });
}

void checkRedirect(const Ctx& ctx, const std::string& base, const Route& route) {
  const auto& r = route.redirect();
  if (!r.scheme_redirect().empty()) {
    std::string scheme = absl::AsciiStrToLower(r.scheme_redirect());
    if (scheme != "http" && scheme != "https") ctx.add(base + ".scheme_redirect", "must be http or https");
    if (r.https_redirect()) ctx.add(base + ".https_redirect", "only one of scheme_redirect, https_redirect may be set");
  }
  if (!r.host_redirect().empty() && !isHostName(r.host_redirect())) {
    ctx.add(base + ".host_redirect", "invalid host '" + r.host_redirect() + "' (a name or an IP, no port)");
  }
  if (r.port_redirect() > 65535) ctx.add(base + ".port_redirect", "out of range 1..65535");
  if (r.has_path_redirect() &&
      (r.path_redirect().empty() || r.path_redirect()[0] != '/' || !isHeaderValue(r.path_redirect()) ||
       r.path_redirect().find(' ') != std::string::npos)) {
    ctx.add(base + ".path_redirect", "must start with '/' and contain no spaces, CR, LF or NUL");
  }
  if (r.has_prefix_rewrite()) {
    if (!route.match().has_prefix()) ctx.add(base + ".prefix_rewrite", "only allowed with a prefix match");
    if (!isHeaderValue(r.prefix_rewrite()) || r.prefix_rewrite().find_first_of(" ?") != std::string::npos) {
      ctx.add(base + ".prefix_rewrite", "must contain no spaces, '?', CR, LF or NUL");
    }
  }
  static const std::set<uint32_t> kCodes = {0, 301, 302, 303, 307, 308};
  if (kCodes.count(r.response_code()) == 0) {
    ctx.add(base + ".response_code", absl::StrCat("must be 301, 302, 303, 307 or 308 (got ", r.response_code(), ")"));
  }
}

void checkDirectResponse(const Ctx& ctx, const std::string& base, const strait::v1::DirectResponseAction& d) {
  if (d.status() < 200 || d.status() > 599) ctx.add(base + ".status", "must be between 200 and 599");
  if (d.body().size() > 64 * 1024) ctx.add(base + ".body", "must be at most 64 KiB");
}

void checkRetryPolicy(const Ctx& ctx, const std::string& base, const strait::v1::RetryPolicy& p) {
  static const std::set<std::string> kConditions = {"5xx", "gateway-error", "reset", "connect-failure",
                                                    "retriable-status-codes"};
  if (p.retry_on_size() == 0) ctx.add(base + ".retry_on", "at least one condition is required");
  for (int i = 0; i < p.retry_on_size(); ++i) {
    if (kConditions.count(p.retry_on(i)) == 0) {
      ctx.add(absl::StrCat(base, ".retry_on[", i, "]"),
              "unknown condition '" + p.retry_on(i) +
                  "' (expected 5xx, gateway-error, reset, connect-failure or retriable-status-codes)");
    }
  }
  if (p.num_retries() > 10) ctx.add(base + ".num_retries", "must be at most 10");
  for (int i = 0; i < p.retriable_status_codes_size(); ++i) {
    uint32_t code = p.retriable_status_codes(i);
    if (code < 100 || code > 599) {
      ctx.add(absl::StrCat(base, ".retriable_status_codes[", i, "]"), "must be between 100 and 599");
    }
  }
  auto check = [&](const char* field, const google::protobuf::Duration& d, int64_t max_ns) {
    if (!isValidDuration(d) || toNanos(d) < 0 || toNanos(d) > max_ns) {
      ctx.add(base + "." + field, absl::StrCat("must be a valid duration between 0 and ", max_ns / 1000000000, "s"));
    }
  };
  check("per_try_timeout", p.per_try_timeout(), int64_t{3600} * 1000000000);
  check("base_interval", p.base_interval(), int64_t{10} * 1000000000);
  check("max_interval", p.max_interval(), int64_t{60} * 1000000000);
  if (toNanos(p.max_interval()) > 0 && toNanos(p.max_interval()) < toNanos(p.base_interval())) {
    ctx.add(base + ".max_interval", "must not be below base_interval");
  }
  if (p.max_replay_body_bytes() > 16u * 1024 * 1024) {
    ctx.add(base + ".max_replay_body_bytes", "must be at most 16 MiB (16777216)");
  }
}

void checkAction(const Ctx& ctx, const std::string& base, const Route& route) {
  const auto& a = route.route();
  switch (a.cluster_specifier_case()) {
    case strait::v1::RouteAction::kCluster:
      if (ctx.names.clusters.count(a.cluster()) == 0) {
        ctx.add(base + ".cluster", "unknown cluster '" + a.cluster() + "'");
      }
      break;
    case strait::v1::RouteAction::kWeightedClusters:
      checkWeighted(ctx, base + ".weighted_clusters", a.weighted_clusters());
      break;
    default:
      ctx.add(base, "one of cluster, weighted_clusters is required");
  }
  if (!a.prefix_rewrite().empty() && !route.match().has_prefix()) {
    ctx.add(base + ".prefix_rewrite", "only allowed with a prefix match");
  }
  if (a.has_timeout() && (!isValidDuration(a.timeout()) || toNanos(a.timeout()) < 0)) {
    ctx.add(base + ".timeout", "must be a valid duration >= 0");
  }
  if (a.has_idle_timeout() && (!isValidDuration(a.idle_timeout()) || toNanos(a.idle_timeout()) < 0)) {
    ctx.add(base + ".idle_timeout", "must be a valid duration >= 0");
  }
  if (a.has_max_stream_duration() &&
      (!isValidDuration(a.max_stream_duration()) || toNanos(a.max_stream_duration()) < 0)) {
    ctx.add(base + ".max_stream_duration", "must be a valid duration >= 0");
  }
  if (a.has_retry_policy()) checkRetryPolicy(ctx, base + ".retry_policy", a.retry_policy());
  checkRewrites(ctx, base, a);
  checkMirrors(ctx, base, a);
}

void checkVirtualHost(const Ctx& ctx, int index, const strait::v1::VirtualHost& vh,
                      std::set<std::string>* domains) {
  const std::string base = absl::StrCat("virtual_hosts[", index, "]");
  if (vh.domains_size() == 0) ctx.add(base + ".domains", "at least one domain is required");
  for (int i = 0; i < vh.domains_size(); ++i) {
    const std::string& d = vh.domains(i);
    const std::string path = absl::StrCat(base, ".domains[", i, "]");
    size_t star = d.find('*');
    bool star_ok = star == std::string::npos || d == "*" ||
                   (d.rfind('*') == star && (star == 0 || star == d.size() - 1));
    if (d.empty() || !star_ok) ctx.add(path, "invalid domain '" + d + "'");
    if (!domains->insert(d).second) ctx.add(path, "duplicate domain '" + d + "'");
  }
  validateHttpFilters(ctx.name, base + ".filters", vh.filters(), ctx.problems);
  for (int i = 0; i < vh.routes_size(); ++i) {
    const std::string path = absl::StrCat(base, ".routes[", i, "]");
    const Route& route = vh.routes(i);
    checkMatch(ctx, path + ".match", route.match());
    switch (route.action_case()) {
      case Route::kRoute: checkAction(ctx, path + ".route", route); break;
      case Route::kRedirect: checkRedirect(ctx, path + ".redirect", route); break;
      case Route::kDirectResponse: checkDirectResponse(ctx, path + ".direct_response", route.direct_response()); break;
      default: ctx.add(path, "one of route, redirect, direct_response is required");
    }
    checkHeaderMutations(ctx, path + ".", route);
    validateHttpFilters(ctx.name, path + ".filters", route.filters(), ctx.problems);
  }
  checkHeaderMutations(ctx, base + ".", vh);
}

}  // namespace

void validateRouteConfig(const RouteConfiguration& rc, const NameIndex& names,
                         Problems* problems) {
  Ctx ctx{rc.name(), names, problems};
  std::set<std::string> domains;
  std::set<std::string> vh_names;
  for (int i = 0; i < rc.virtual_hosts_size(); ++i) {
    const auto& vh = rc.virtual_hosts(i);
    if (!vh.name().empty() && !vh_names.insert(vh.name()).second) {
      ctx.add(absl::StrCat("virtual_hosts[", i, "].name"),
              "duplicate virtual host name '" + vh.name() + "'");
    }
    checkVirtualHost(ctx, i, vh, &domains);
  }
  checkHeaderMutations(ctx, "", rc);
}

}  // namespace strait::xds::internal
