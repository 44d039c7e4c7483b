// The compile step of a route table: RouteConfiguration -> CompiledRoute/RouteTable, once per
// generation, off the data path (route_table.cc holds the lookup the workers run).
#include "sidecar/router/route_table.h"

#include "sidecar/filters/registry.h"
#include "sidecar/router/route_stats.h"

#include <algorithm>
#include <functional>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "sidecar/http/cookies.h"
#include "sidecar/upstream/stable_hash.h"


namespace strait::proxy {
namespace {

int64_t durationMs(const google::protobuf::Duration& d) {
  return d.seconds() * 1000 + d.nanos() / 1000000;
}

using HeaderValues = google::protobuf::RepeatedPtrField<strait::v1::HeaderValue>;
using Names = google::protobuf::RepeatedPtrField<std::string>;

// Appends one level's header changes (route, virtual host or route configuration).
absl::Status compileMutations(const HeaderValues& add, const Names& remove, const std::string& where,
                              HeaderMutations* out) {
  for (const auto& name : remove) out->remove.push_back(absl::AsciiStrToLower(name));
  for (int i = 0; i < add.size(); i++) {
    const auto& h = add[i];
    auto value = HeaderTemplate::compile(h.value());
    if (!value.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(where, "[", i, "].value: ", value.status().message()));
    }
    HeaderToAdd::Action action = h.append() ? HeaderToAdd::Action::kAdd : HeaderToAdd::Action::kSet;
    switch (h.action()) {
      case strait::v1::HeaderValue::ADD: action = HeaderToAdd::Action::kAdd; break;
      case strait::v1::HeaderValue::SET: action = HeaderToAdd::Action::kSet; break;
      case strait::v1::HeaderValue::APPEND: action = HeaderToAdd::Action::kAppend; break;
      case strait::v1::HeaderValue::ADD_IF_ABSENT: action = HeaderToAdd::Action::kAddIfAbsent; break;
      default: break;
    }
    out->add.push_back({absl::AsciiStrToLower(h.key()), std::move(*value), action});
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<re2::RE2>> compileRegex(const std::string& pattern,
                                                      const std::string& where) {
  auto re = std::make_unique<re2::RE2>(pattern, re2::RE2::Quiet);
  if (!re->ok()) return absl::InvalidArgumentError(absl::StrCat(where, ": invalid regex: ", re->error()));
  return re;
}

absl::StatusOr<std::unique_ptr<re2::RE2>> compilePathRegex(const std::string& pattern, bool case_insensitive,
                                                          const std::string& where) {
  re2::RE2::Options options(re2::RE2::Quiet);
  options.set_case_sensitive(!case_insensitive);
  auto re = std::make_unique<re2::RE2>(pattern, options);
  if (!re->ok()) return absl::InvalidArgumentError(absl::StrCat(where, ": invalid regex: ", re->error()));
  return re;
}

absl::Status compileHeaderMatchers(const strait::v1::RouteMatch& m, const std::string& where, CompiledRoute* r) {
  for (const auto& h : m.headers()) {
    CompiledHeaderMatcher hm;
    hm.name = absl::AsciiStrToLower(h.name());
    hm.invert = h.invert_match();
    if (h.has_exact_match()) {
      hm.kind = CompiledHeaderMatcher::Kind::kExact;
      hm.exact = h.exact_match();
    } else if (h.has_safe_regex_match()) {
      hm.kind = CompiledHeaderMatcher::Kind::kRegex;
      auto re = compileRegex(h.safe_regex_match(), where + ".match.headers");
      if (!re.ok()) return re.status();
      hm.regex = std::move(*re);
    } else {
      hm.kind = CompiledHeaderMatcher::Kind::kPresent;
      hm.present = h.has_present_match() ? h.present_match() : true;
    }
    r->headers.push_back(std::move(hm));
  }
  for (const auto& q : m.query_parameters()) {
    CompiledQueryMatcher qm;
    qm.name = q.name();
    qm.invert = q.invert_match();
    if (q.has_exact_match()) {
      qm.kind = CompiledQueryMatcher::Kind::kExact;
      qm.exact = q.exact_match();
    } else if (q.has_safe_regex_match()) {
      qm.kind = CompiledQueryMatcher::Kind::kRegex;
      auto re = compileRegex(q.safe_regex_match(), where + ".match.query_parameters");
      if (!re.ok()) return re.status();
      qm.regex = std::move(*re);
    } else {
      qm.present = q.has_present_match() ? q.present_match() : true;
    }
    r->query.push_back(std::move(qm));
  }
  return absl::OkStatus();
}

absl::Status compileMatch(const strait::v1::RouteMatch& m, const std::string& where, CompiledRoute* r) {
  r->case_insensitive = m.case_insensitive();
  switch (m.path_specifier_case()) {
    case strait::v1::RouteMatch::kPrefix:
      r->path_kind = CompiledRoute::PathKind::kPrefix;
      r->path = m.prefix();
      break;
    case strait::v1::RouteMatch::kPath:
      r->path_kind = CompiledRoute::PathKind::kExact;
      r->path = m.path();
      break;
    case strait::v1::RouteMatch::kSafeRegex: {
      r->path_kind = CompiledRoute::PathKind::kRegex;
      auto re = compilePathRegex(m.safe_regex(), m.case_insensitive(), where + ".match.safe_regex");
      if (!re.ok()) return re.status();
      r->path_regex = std::move(*re);
      break;
    }
    default:
      return absl::InvalidArgumentError(where + ".match: no path matcher");
  }
  if (r->case_insensitive) r->path = absl::AsciiStrToLower(r->path);
  r->methods.assign(m.methods().begin(), m.methods().end());
  r->destination_port = m.destination_port();
  for (int i = 0; i < m.source_cidrs_size(); i++) {
    auto cidr = CidrRange::parse(m.source_cidrs(i));
    if (!cidr.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ".match.source_cidrs[", i, "]: ", cidr.status().message()));
    }
    r->source_cidrs.push_back(*cidr);
  }
  return compileHeaderMatchers(m, where, r);
}

void compileRetry(const strait::v1::RetryPolicy& p, RetryPolicy* r) {
  static const std::pair<const char*, RetryPolicy::On> kConditions[] = {
      {"5xx", RetryPolicy::k5xx},
      {"gateway-error", RetryPolicy::kGatewayError},
      {"reset", RetryPolicy::kReset},
      {"connect-failure", RetryPolicy::kConnectFailure},
      {"retriable-status-codes", RetryPolicy::kRetriableStatusCodes},
  };
  for (const std::string& on : p.retry_on()) {
    for (const auto& [name, bit] : kConditions) {
      if (on == name) r->retry_on |= bit;
    }
  }
  if (p.num_retries() > 0) r->num_retries = p.num_retries();
  r->per_try_timeout_ms = durationMs(p.per_try_timeout());
  r->status_codes.assign(p.retriable_status_codes().begin(), p.retriable_status_codes().end());
  if (durationMs(p.base_interval()) > 0) r->base_interval_ms = durationMs(p.base_interval());
  r->max_interval_ms = durationMs(p.max_interval()) > 0 ? durationMs(p.max_interval()) : 10 * r->base_interval_ms;
  if (p.max_replay_body_bytes() > 0) r->max_replay_body_bytes = p.max_replay_body_bytes();
}

absl::Status compileAction(const strait::v1::RouteAction& a, const std::string& where, CompiledRoute* r) {
  if (a.has_weighted_clusters()) {
    for (const auto& c : a.weighted_clusters().clusters()) {
      if (c.weight() == 0) continue;
      r->weighted.push_back({c.name(), c.weight()});
      r->total_weight += c.weight();
    }
    r->hash_on_header = absl::AsciiStrToLower(a.weighted_clusters().hash_on_header());
    r->hash_on_cookie = a.weighted_clusters().hash_on_cookie();
  } else {
    r->cluster = a.cluster();
  }
  r->has_prefix_rewrite = !a.prefix_rewrite().empty();
  r->prefix_rewrite = a.prefix_rewrite();
  if (a.has_regex_rewrite()) {
    auto re = compileRegex(a.regex_rewrite().pattern(), where + ".route.regex_rewrite.pattern");
    if (!re.ok()) return re.status();
    r->regex_rewrite = std::move(*re);
    r->regex_substitution = a.regex_rewrite().substitution();
  }
  r->host_rewrite = a.host_rewrite_literal();
  r->auto_host_rewrite = a.auto_host_rewrite();
  for (const auto& m : a.request_mirror_policies()) {
    MirrorPolicy p;
    p.cluster = m.cluster();
    p.per_million = static_cast<uint32_t>(std::clamp(m.runtime_percent(), 0.0, 100.0) * 10000.0 + 0.5);
    if (m.max_body_bytes() > 0) p.max_body_bytes = m.max_body_bytes();
    if (durationMs(m.timeout()) > 0) p.timeout_ms = durationMs(m.timeout());
    r->mirrors.push_back(std::move(p));
  }
  if (a.has_timeout() && durationMs(a.timeout()) > 0) r->timeout_ms = durationMs(a.timeout());
  if (a.has_idle_timeout()) r->idle_timeout_ms = durationMs(a.idle_timeout());
  if (a.has_max_stream_duration()) r->max_stream_duration_ms = durationMs(a.max_stream_duration());
  if (a.has_retry_policy()) compileRetry(a.retry_policy(), &r->retry);
  return absl::OkStatus();
}

void compileRedirect(const strait::v1::RedirectAction& a, CompiledRoute* r) {
  RedirectSpec& d = r->redirect;
  d.scheme = a.https_redirect() ? "https" : absl::AsciiStrToLower(a.scheme_redirect());
  d.host = a.host_redirect();
  d.port = a.port_redirect();
  d.has_path = a.has_path_redirect();
  d.path = a.path_redirect();
  d.has_prefix_rewrite = a.has_prefix_rewrite();
  d.prefix_rewrite = a.prefix_rewrite();
  d.status = a.response_code() == 0 ? 301 : static_cast<int>(a.response_code());
  d.strip_query = a.strip_query();
}

// The route's action, whichever of route / redirect / direct_response it is.
absl::Status compileRouteAction(const strait::v1::Route& route, const std::string& where, CompiledRoute* r) {
  switch (route.action_case()) {
    case strait::v1::Route::kRedirect:
      r->action = CompiledRoute::Action::kRedirect;
      compileRedirect(route.redirect(), r);
      return absl::OkStatus();
    case strait::v1::Route::kDirectResponse:
      r->action = CompiledRoute::Action::kDirectResponse;
      r->direct_status = static_cast<int>(route.direct_response().status());
      r->direct_body = route.direct_response().body();
      return absl::OkStatus();
    default:
      return compileAction(route.route(), where, r);
  }
}

}  // namespace

// The filter chain of a route: the virtual host's filters, then the route's; a route filter
// of the same kind replaces the virtual host's in place (the virtual host's is then not built
// at all: building a filter can be costly, e.g. a WAF rule set).
absl::Status compileFilters(const google::protobuf::RepeatedPtrField<strait::v1::HttpFilter>& vhost_filters,
                            const google::protobuf::RepeatedPtrField<strait::v1::HttpFilter>& route_filters,
                            const std::string& where, filters::SharedState* shared, const std::string& scope,
                            CompiledRoute* r) {
  auto add = [&](const strait::v1::HttpFilter& f, int index, const char* list,
                 const std::string& filter_scope) -> absl::Status {
    auto factory = filters::createFilterFactory(f, {shared, filter_scope});
    if (!factory.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ".", list, "[", index, "]: ", factory.status().message()));
    }
    r->filters.push_back(std::move(*factory));
    return absl::OkStatus();
  };
  auto routeFilterOfKind = [&](strait::v1::HttpFilter::ConfigCase kind) {
    for (int j = 0; j < route_filters.size(); j++) {
      if (route_filters[j].config_case() == kind) return j;
    }
    return -1;
  };
  // Scopes: a virtual host's filter state is shared by its routes (one rate limit, one cache).
  std::string vhost_scope = scope.substr(0, scope.rfind('/'));
  std::vector<bool> placed(route_filters.size(), false);
  for (int i = 0; i < vhost_filters.size(); i++) {
    int j = vhost_filters[i].config_case() == strait::v1::HttpFilter::CONFIG_NOT_SET
                ? -1
                : routeFilterOfKind(vhost_filters[i].config_case());
    absl::Status s = j < 0 ? add(vhost_filters[i], i, "vhost filters", vhost_scope)
                           : add(route_filters[j], j, "filters", scope);
    if (!s.ok()) return s;
    if (j >= 0) placed[j] = true;
  }
  for (int i = 0; i < route_filters.size(); i++) {
    if (placed[i]) continue;
    if (auto s = add(route_filters[i], i, "filters", scope); !s.ok()) return s;
  }
  return absl::OkStatus();
}

// Header changes of a route: the route's, then its virtual host's, then the configuration's.
// The field paths of errors are only formatted for levels that have changes: most routes
// have none, and a generation may have 100,000 routes.
absl::Status compileRouteHeaders(const strait::v1::RouteConfiguration& config, const strait::v1::VirtualHost& vh,
                                 const strait::v1::Route& route, const std::string& where, int vi,
                                 const std::string& config_where, CompiledRoute* r) {
  struct Level {
    const HeaderValues& req_add;
    const Names& req_remove;
    const HeaderValues& resp_add;
    const Names& resp_remove;
    std::function<std::string()> where;
  };
  const Level levels[] = {
      {route.request_headers_to_add(), route.request_headers_to_remove(), route.response_headers_to_add(),
       route.response_headers_to_remove(), [&] { return where; }},
      {vh.request_headers_to_add(), vh.request_headers_to_remove(), vh.response_headers_to_add(),
       vh.response_headers_to_remove(), [&] { return absl::StrCat(config_where, ": virtual_hosts[", vi, "]"); }},
      {config.request_headers_to_add(), config.request_headers_to_remove(), config.response_headers_to_add(),
       config.response_headers_to_remove(), [&] { return config_where; }},
  };
  for (const Level& l : levels) {
    if (!l.req_add.empty() || !l.req_remove.empty()) {
      auto s = compileMutations(l.req_add, l.req_remove, l.where() + ".request_headers_to_add", &r->request_headers);
      if (!s.ok()) return s;
    }
    if (!l.resp_add.empty() || !l.resp_remove.empty()) {
      auto s = compileMutations(l.resp_add, l.resp_remove, l.where() + ".response_headers_to_add",
                                &r->response_headers);
      if (!s.ok()) return s;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<RouteTable>> RouteTable::build(const strait::v1::RouteConfiguration& config,
                                                              filters::SharedState* shared, std::string fingerprint) {
  static filters::SharedState* const kUnshared = new filters::SharedState();  // tests, tools
  if (shared == nullptr) shared = kUnshared;
  auto table = std::make_unique<RouteTable>();
  table->name_ = config.name();
  table->fingerprint_ = std::move(fingerprint);
  if (config.has_path_normalization()) {
    table->normalization_.merge_slashes = config.path_normalization().merge_slashes();
    table->normalization_.reject_encoded_slashes = config.path_normalization().reject_encoded_slashes();
  }
  std::string config_where = absl::StrCat("route_config '", config.name(), "'");
  for (int vi = 0; vi < config.virtual_hosts_size(); vi++) {
    const auto& vh = config.virtual_hosts(vi);
    CompiledVirtualHost cvh;
    cvh.name = vh.name();
    cvh.routes.reserve(static_cast<size_t>(vh.routes_size()));  // one allocation, no moves
    for (int ri = 0; ri < vh.routes_size(); ri++) {
      const auto& route = vh.routes(ri);
      std::string where = absl::StrCat("route_config '", config.name(), "': virtual_hosts[", vi,
                                       "].routes[", ri, "]");
      CompiledRoute r;
      r.name = route.name();
      if (!r.name.empty()) r.stats = RouteStats::forRoute(r.name);
      r.normalization = table->normalization_;
      if (auto s = compileMatch(route.match(), where, &r); !s.ok()) return s;
      if (auto s = compileRouteAction(route, where, &r); !s.ok()) return s;
      if (!r.source_cidrs.empty()) table->uses_source_cidrs_ = true;
      if (!vh.filters().empty() || !route.filters().empty()) {
        std::string scope = absl::StrCat(config.name(), "/", vh.name(), "/",
                                         route.name().empty() ? absl::StrCat("#", ri) : route.name());
        if (auto s = compileFilters(vh.filters(), route.filters(), where, shared, scope, &r); !s.ok()) return s;
      }
      if (auto s = compileRouteHeaders(config, vh, route, where, vi, config_where, &r); !s.ok()) return s;
      cvh.routes.push_back(std::move(r));
    }
    cvh.index.build(cvh.routes);
    size_t index = table->vhosts_.size();
    for (const auto& d : vh.domains()) {
      std::string domain = absl::AsciiStrToLower(d);
      if (domain == "*") table->default_vhost_ = static_cast<int>(index);
      else if (absl::StartsWith(domain, "*")) table->suffix_wildcards_.emplace_back(domain.substr(1), index);
      else if (absl::EndsWith(domain, "*")) table->prefix_wildcards_.emplace_back(domain.substr(0, domain.size() - 1), index);
      else table->exact_.emplace(domain, index);
    }
    table->vhosts_.push_back(std::move(cvh));
  }
  auto longest_first = [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); };
  std::stable_sort(table->suffix_wildcards_.begin(), table->suffix_wildcards_.end(), longest_first);
  std::stable_sort(table->prefix_wildcards_.begin(), table->prefix_wildcards_.end(), longest_first);
  return table;
}

}  // namespace strait::proxy
