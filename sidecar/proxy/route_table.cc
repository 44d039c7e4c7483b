#include "sidecar/proxy/route_table.h"

#include "sidecar/filters/registry.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace strait::proxy {
namespace {

int64_t durationMs(const google::protobuf::Duration& d) {
  return d.seconds() * 1000 + d.nanos() / 1000000;
}

std::vector<HeaderToAdd> compileHeaders(
    const google::protobuf::RepeatedPtrField<strait::v1::HeaderValue>& in) {
  std::vector<HeaderToAdd> out;
  for (const auto& h : in) out.push_back({absl::AsciiStrToLower(h.key()), h.value(), h.append()});
  return out;
}

absl::StatusOr<std::unique_ptr<re2::RE2>> compileRegex(const std::string& pattern,
                                                      const std::string& where) {
  auto re = std::make_unique<re2::RE2>(pattern, re2::RE2::Quiet);
  if (!re->ok()) return absl::InvalidArgumentError(absl::StrCat(where, ": invalid regex: ", re->error()));
  return re;
}

absl::Status compileMatch(const strait::v1::RouteMatch& m, const std::string& where, CompiledRoute* r) {
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
      auto re = compileRegex(m.safe_regex(), where + ".match.safe_regex");
      if (!re.ok()) return re.status();
      r->path_regex = std::move(*re);
      break;
    }
    default:
      return absl::InvalidArgumentError(where + ".match: no path matcher");
  }
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
  return absl::OkStatus();
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

void compileAction(const strait::v1::RouteAction& a, CompiledRoute* r) {
  if (a.has_weighted_clusters()) {
    for (const auto& c : a.weighted_clusters().clusters()) {
      if (c.weight() == 0) continue;
      r->weighted.push_back({c.name(), c.weight()});
      r->total_weight += c.weight();
    }
  } else {
    r->cluster = a.cluster();
  }
  r->has_prefix_rewrite = !a.prefix_rewrite().empty();
  r->prefix_rewrite = a.prefix_rewrite();
  if (a.has_timeout() && durationMs(a.timeout()) > 0) r->timeout_ms = durationMs(a.timeout());
  if (a.has_idle_timeout()) r->idle_timeout_ms = durationMs(a.idle_timeout());
  if (a.has_max_stream_duration()) r->max_stream_duration_ms = durationMs(a.max_stream_duration());
  if (a.has_retry_policy()) compileRetry(a.retry_policy(), &r->retry);
}

}  // namespace

bool RetryPolicy::retriesStatus(int status) const {
  if ((retry_on & k5xx) && status >= 500) return true;
  if ((retry_on & kGatewayError) && status >= 502 && status <= 504) return true;
  if (retry_on & kRetriableStatusCodes) {
    for (uint32_t code : status_codes) {
      if (static_cast<int>(code) == status) return true;
    }
  }
  return false;
}

bool CompiledHeaderMatcher::matches(const http::HeaderMap& headers) const {
  const std::string* v = headers.get(name);
  bool result = false;
  switch (kind) {
    case Kind::kExact: result = v && *v == exact; break;
    case Kind::kRegex: result = v && re2::RE2::FullMatch(*v, *regex); break;
    case Kind::kPresent: result = (v != nullptr) == present; break;
  }
  return result != invert;
}

bool CompiledRoute::matches(std::string_view p, const http::HeaderMap& hdrs) const {
  switch (path_kind) {
    case PathKind::kPrefix: if (p.substr(0, path.size()) != path) return false; break;
    case PathKind::kExact: if (p != path) return false; break;
    case PathKind::kRegex:
      if (!re2::RE2::FullMatch(re2::StringPiece(p.data(), p.size()), *path_regex)) return false;
      break;
  }
  for (const auto& h : headers) {
    if (!h.matches(hdrs)) return false;
  }
  return true;
}

const std::string& CompiledRoute::pickCluster(uint64_t random) const {
  if (weighted.empty()) return cluster;
  uint64_t point = random % total_weight;
  for (const auto& w : weighted) {
    if (point < w.weight) return w.name;
    point -= w.weight;
  }
  return weighted.back().name;
}

// The filter chain of a route: the virtual host's filters, then the route's; a route filter
// of the same kind replaces the virtual host's in place.
absl::Status compileFilters(const google::protobuf::RepeatedPtrField<strait::v1::HttpFilter>& vhost_filters,
                            const google::protobuf::RepeatedPtrField<strait::v1::HttpFilter>& route_filters,
                            const std::string& where, filters::SharedState* shared, const std::string& scope,
                            CompiledRoute* r) {
  auto add = [&](const strait::v1::HttpFilter& f, int index, const char* list, const std::string& filter_scope,
                 bool replace) -> absl::Status {
    auto factory = filters::createFilterFactory(f, {shared, filter_scope});
    if (!factory.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ".", list, "[", index, "]: ", factory.status().message()));
    }
    if (replace) {
      for (auto& existing : r->filters) {
        if (existing->kind() == (*factory)->kind()) {
          existing = std::move(*factory);
          return absl::OkStatus();
        }
      }
    }
    r->filters.push_back(std::move(*factory));
    return absl::OkStatus();
  };
  // Scopes: a virtual host's filter state is shared by its routes (one rate limit, one cache).
  std::string vhost_scope = scope.substr(0, scope.rfind('/'));
  for (int i = 0; i < vhost_filters.size(); i++) {
    if (auto s = add(vhost_filters[i], i, "vhost filters", vhost_scope, false); !s.ok()) return s;
  }
  for (int i = 0; i < route_filters.size(); i++) {
    if (auto s = add(route_filters[i], i, "filters", scope, true); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<RouteTable>> RouteTable::build(const strait::v1::RouteConfiguration& config,
                                                              filters::SharedState* shared) {
  static filters::SharedState* const kUnshared = new filters::SharedState();  // tests, tools
  if (shared == nullptr) shared = kUnshared;
  auto table = std::make_unique<RouteTable>();
  table->name_ = config.name();
  auto config_headers = compileHeaders(config.response_headers_to_add());
  for (int vi = 0; vi < config.virtual_hosts_size(); vi++) {
    const auto& vh = config.virtual_hosts(vi);
    CompiledVirtualHost cvh;
    cvh.name = vh.name();
    for (int ri = 0; ri < vh.routes_size(); ri++) {
      const auto& route = vh.routes(ri);
      std::string where = absl::StrCat("route_config '", config.name(), "': virtual_hosts[", vi,
                                       "].routes[", ri, "]");
      CompiledRoute r;
      r.name = route.name();
      if (auto s = compileMatch(route.match(), where, &r); !s.ok()) return s;
      compileAction(route.route(), &r);
      std::string scope = absl::StrCat(config.name(), "/", vh.name(), "/",
                                       route.name().empty() ? absl::StrCat("#", ri) : route.name());
      if (auto s = compileFilters(vh.filters(), route.filters(), where, shared, scope, &r); !s.ok()) return s;
      r.response_headers = compileHeaders(route.response_headers_to_add());
      r.response_headers.insert(r.response_headers.end(), config_headers.begin(), config_headers.end());
      r.request_headers = compileHeaders(route.request_headers_to_add());
      cvh.routes.push_back(std::move(r));
    }
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

const CompiledVirtualHost* RouteTable::findVirtualHost(std::string_view host_in) const {
  std::string host = absl::AsciiStrToLower(absl::string_view(host_in.data(), host_in.size()));
  // Strip the port (but not from a bare IPv6 literal without brackets).
  size_t colon = host.rfind(':');
  if (colon != std::string::npos && host.find(']') == std::string::npos && host.find(':') == colon) {
    host.resize(colon);
  } else if (!host.empty() && host[0] == '[') {
    size_t close = host.find(']');
    if (close != std::string::npos) host.resize(close + 1);
  }
  if (auto it = exact_.find(host); it != exact_.end()) return &vhosts_[it->second];
  for (const auto& [suffix, index] : suffix_wildcards_) {
    if (host.size() > suffix.size() && absl::EndsWith(host, suffix)) return &vhosts_[index];
  }
  for (const auto& [prefix, index] : prefix_wildcards_) {
    if (host.size() > prefix.size() && absl::StartsWith(host, prefix)) return &vhosts_[index];
  }
  return default_vhost_ >= 0 ? &vhosts_[default_vhost_] : nullptr;
}

const CompiledRoute* RouteTable::route(std::string_view host, std::string_view path,
                                       const http::HeaderMap& headers) const {
  const CompiledVirtualHost* vh = findVirtualHost(host);
  if (vh == nullptr) return nullptr;
  for (const auto& r : vh->routes) {
    if (r.matches(path, headers)) return &r;
  }
  return nullptr;
}

}  // namespace strait::proxy
