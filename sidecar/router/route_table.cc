// The lookup side of a route table: what a worker runs per request (virtual host by host,
// first matching route, cluster choice, path rewrite). Compiled by route_compiler.cc.
#include "sidecar/router/route_table.h"

#include "sidecar/filters/registry.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "sidecar/http/cookies.h"
#include "sidecar/upstream/stable_hash.h"


namespace strait::proxy {

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

namespace {

// `lower` is lower-case already (compiled so).
bool startsWithLower(std::string_view s, std::string_view lower) {
  if (s.size() < lower.size()) return false;
  for (size_t i = 0; i < lower.size(); i++) {
    if (absl::ascii_tolower(static_cast<unsigned char>(s[i])) != lower[i]) return false;
  }
  return true;
}

}  // namespace

bool CompiledRoute::matches(const RouteRequest& req) const {
  std::string_view p = req.path;
  switch (path_kind) {
    case PathKind::kPrefix:
      if (case_insensitive ? !startsWithLower(p, path) : p.substr(0, path.size()) != path) return false;
      break;
    case PathKind::kExact:
      if (case_insensitive ? !(p.size() == path.size() && startsWithLower(p, path)) : p != path) return false;
      break;
    case PathKind::kRegex:
      if (!re2::RE2::FullMatch(re2::StringPiece(p.data(), p.size()), *path_regex)) return false;
      break;
  }
  if (!methods.empty() && std::find(methods.begin(), methods.end(), req.method) == methods.end()) return false;
  if (destination_port != 0 && req.destination_port != destination_port) return false;
  if (!source_cidrs.empty()) {
    if (req.client == nullptr) return false;
    bool in = false;
    for (const auto& c : source_cidrs) in = in || c.contains(*req.client);
    if (!in) return false;
  }
  for (const auto& h : headers) {
    if (!h.matches(*req.headers)) return false;
  }
  for (const auto& q : query) {
    if (!q.matches(req.query)) return false;
  }
  return true;
}

const std::string& CompiledRoute::pickCluster(uint64_t random, const http::HeaderMap* hdrs) const {
  if (weighted.empty()) return cluster;
  if (hdrs != nullptr) {
    // Pinning: the same header/cookie value always lands on the same point of the split.
    if (!hash_on_header.empty()) {
      if (const std::string* v = hdrs->get(hash_on_header)) random = xxHash64(*v);
    } else if (!hash_on_cookie.empty()) {
      if (auto v = http::findCookie(*hdrs, hash_on_cookie)) random = xxHash64(*v);
    }
  }
  uint64_t point = random % total_weight;
  for (const auto& w : weighted) {
    if (point < w.weight) return w.name;
    point -= w.weight;
  }
  return weighted.back().name;
}

std::string CompiledRoute::rewritePath(std::string_view p) const {
  std::string out(p);
  if (has_prefix_rewrite && path_kind == PathKind::kPrefix && p.size() >= path.size()) {
    out = prefix_rewrite + std::string(p.substr(path.size()));
  }
  if (regex_rewrite) re2::RE2::GlobalReplace(&out, *regex_rewrite, regex_substitution);
  if (out.empty() || out[0] != '/') out.insert(0, "/");
  // The rewrite may have produced "//" or ".." (e.g. prefix "/a/" -> "/"): normalised again;
  // encoded slashes were vetted on the way in, so a rewrite never fails the request.
  PathNormalizationOptions again = normalization;
  again.reject_encoded_slashes = false;
  normalizePath(&out, again);
  return out;
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

const CompiledRoute* RouteTable::route(const RouteRequest& request) const {
  const CompiledVirtualHost* vh = findVirtualHost(request.host);
  if (vh == nullptr) return nullptr;
  int found = vh->index.find(request.path, [&](uint32_t i) { return vh->routes[i].matches(request); });
  return found < 0 ? nullptr : &vh->routes[static_cast<size_t>(found)];
}

const CompiledRoute* RouteTable::routeLinear(const RouteRequest& request) const {
  const CompiledVirtualHost* vh = findVirtualHost(request.host);
  if (vh == nullptr) return nullptr;
  for (const auto& r : vh->routes) {
    if (r.matches(request)) return &r;
  }
  return nullptr;
}

const CompiledRoute* RouteTable::route(std::string_view host, std::string_view path,
                                       const http::HeaderMap& headers) const {
  RouteRequest request;
  request.host = host;
  request.path = path;
  request.method = "GET";
  request.headers = &headers;
  return route(request);
}

}  // namespace strait::proxy
