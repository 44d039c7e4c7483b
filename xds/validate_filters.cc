// Validation of the HTTP filters of virtual hosts and routes (see filter*.proto): every
// problem names the field, e.g. "virtual_hosts[0].filters[1].access_control.rules[2]
// .source_cidrs[0]: '10.0.0.0/33': prefix length must be 0 to 32".
#include <arpa/inet.h>

#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "xds/validate_internal.h"

namespace strait::xds::internal {
namespace {

using strait::v1::AccessControl;
using strait::v1::HttpFilter;
using strait::v1::LocalRateLimit;

struct Ctx {
  const std::string& name;  // route configuration name
  Problems* problems;
  void add(const std::string& field, const std::string& reason) const {
    problems->add("route_config", name, field, reason);
  }
};

bool isKnownMethod(const std::string& m) {
  static const char* const kMethods[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"};
  for (const char* k : kMethods) {
    if (m == k) return true;
  }
  return false;
}

void checkMethods(const Ctx& ctx, const std::string& base,
                  const google::protobuf::RepeatedPtrField<std::string>& methods) {
  for (int i = 0; i < methods.size(); ++i) {
    if (!isKnownMethod(methods[i])) {
      ctx.add(absl::StrCat(base, "[", i, "]"),
              "unknown method '" + methods[i] + "' (GET, HEAD, POST, PUT, DELETE, CONNECT, OPTIONS, TRACE, PATCH)");
    }
  }
}

void checkHeaderNames(const Ctx& ctx, const std::string& base,
                      const google::protobuf::RepeatedPtrField<std::string>& names) {
  for (int i = 0; i < names.size(); ++i) {
    if (!isHeaderName(names[i])) ctx.add(absl::StrCat(base, "[", i, "]"), "invalid header name '" + names[i] + "'");
  }
}

void checkRegex(const Ctx& ctx, const std::string& field, const std::string& pattern) {
  std::string err = regexError(pattern);
  if (!err.empty()) ctx.add(field, "invalid regex: " + err);
}

// "" if `cidr` is an address or address/prefix-length with no bits set past the prefix.
std::string cidrError(const std::string& cidr) {
  size_t slash = cidr.find('/');
  std::string addr = cidr.substr(0, slash);
  unsigned char bytes[16] = {};
  int bits = 0;
  if (inet_pton(AF_INET, addr.c_str(), bytes) == 1) bits = 32;
  else if (inet_pton(AF_INET6, addr.c_str(), bytes) == 1) bits = 128;
  else return "'" + cidr + "' is not an IP address or CIDR block";
  int len = bits;
  if (slash != std::string::npos) {
    std::string digits = cidr.substr(slash + 1);
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos ||
        !absl::SimpleAtoi(digits, &len) || len > bits) {
      return absl::StrCat("'", cidr, "': prefix length must be 0 to ", bits);
    }
  }
  for (int bit = len; bit < bits; ++bit) {
    if (bytes[bit / 8] & (0x80 >> (bit % 8))) {
      return absl::StrCat("'", cidr, "': address has bits set beyond the /", len, " prefix");
    }
  }
  return "";
}

void checkAccessRule(const Ctx& ctx, const std::string& base, const strait::v1::AccessRule& r) {
  if (!isHeaderValue(r.name())) ctx.add(base + ".name", "must not contain CR, LF or NUL");
  if (!AccessControl::Action_IsValid(r.action())) ctx.add(base + ".action", "unknown action");
  for (int i = 0; i < r.source_cidrs_size(); ++i) {
    std::string err = cidrError(r.source_cidrs(i));
    if (!err.empty()) ctx.add(absl::StrCat(base, ".source_cidrs[", i, "]"), err);
  }
  if (r.invert_source() && r.source_cidrs_size() == 0) ctx.add(base + ".invert_source", "requires source_cidrs");
  if (r.path().has_safe_regex()) checkRegex(ctx, base + ".path.safe_regex", r.path().safe_regex());
  if (r.path().has_exact() && r.path().exact().empty()) ctx.add(base + ".path.exact", "must not be empty");
  if (r.path().has_prefix() && r.path().prefix().empty()) ctx.add(base + ".path.prefix", "must not be empty");
  checkMethods(ctx, base + ".methods", r.methods());
  for (int i = 0; i < r.headers_size(); ++i) {
    const auto& h = r.headers(i);
    const std::string path = absl::StrCat(base, ".headers[", i, "]");
    if (!isHeaderName(h.name())) ctx.add(path + ".name", "invalid header name '" + h.name() + "'");
    if (h.has_safe_regex()) checkRegex(ctx, path + ".safe_regex", h.safe_regex());
    if (h.has_exact() && !isHeaderValue(h.exact())) ctx.add(path + ".exact", "header value must not contain CR, LF or NUL");
  }
}

void checkAccessControl(const Ctx& ctx, const std::string& base, const AccessControl& a) {
  if (!AccessControl::Action_IsValid(a.default_action())) ctx.add(base + ".default_action", "unknown action");
  for (int i = 0; i < a.rules_size(); ++i) checkAccessRule(ctx, absl::StrCat(base, ".rules[", i, "]"), a.rules(i));
}

void checkCors(const Ctx& ctx, const std::string& base, const strait::v1::Cors& c) {
  if (c.allow_origins_size() == 0 && c.allow_origin_regexes_size() == 0) {
    ctx.add(base, "at least one of allow_origins, allow_origin_regexes is required");
  }
  for (int i = 0; i < c.allow_origins_size(); ++i) {
    const std::string& o = c.allow_origins(i);
    if (o.empty() || !isHeaderValue(o) || o.find(',') != std::string::npos) {
      ctx.add(absl::StrCat(base, ".allow_origins[", i, "]"), "invalid origin '" + o + "'");
    }
  }
  for (int i = 0; i < c.allow_origin_regexes_size(); ++i) {
    checkRegex(ctx, absl::StrCat(base, ".allow_origin_regexes[", i, "]"), c.allow_origin_regexes(i));
  }
  checkMethods(ctx, base + ".allow_methods", c.allow_methods());
  checkHeaderNames(ctx, base + ".allow_headers", c.allow_headers());
  checkHeaderNames(ctx, base + ".expose_headers", c.expose_headers());
  if (c.max_age_seconds() > 86400) ctx.add(base + ".max_age_seconds", "must be at most 86400");
}

void checkLocalRateLimit(const Ctx& ctx, const std::string& base, const LocalRateLimit& r) {
  if (r.max_tokens() < 1 || r.max_tokens() > 10000000) ctx.add(base + ".max_tokens", "must be 1 to 10000000");
  if (r.tokens_per_fill() > r.max_tokens()) ctx.add(base + ".tokens_per_fill", "must be at most max_tokens");
  if (!r.has_fill_interval()) {
    ctx.add(base + ".fill_interval", "is required");
  } else {
    const auto& d = r.fill_interval();
    int64_t ns = isValidDuration(d) ? toNanos(d) : -1;
    if (ns < 1000000 || ns > 86400LL * 1000000000) ctx.add(base + ".fill_interval", "must be 1ms to 24h");
  }
  if (!LocalRateLimit::KeySource_IsValid(r.key())) ctx.add(base + ".key", "unknown key source");
  if (r.key() == LocalRateLimit::HEADER) {
    if (!isHeaderName(r.key_header())) ctx.add(base + ".key_header", "a header name is required with key HEADER");
  } else if (!r.key_header().empty()) {
    ctx.add(base + ".key_header", "only valid with key HEADER");
  }
  if (r.max_keys() > 1000000) ctx.add(base + ".max_keys", "must be at most 1000000");
  if (r.max_keys() > 0 && r.key() == LocalRateLimit::NONE) ctx.add(base + ".max_keys", "only valid with a key");
}

}  // namespace

void validateHttpFilters(const std::string& route_config, const std::string& base,
                         const google::protobuf::RepeatedPtrField<HttpFilter>& filters, Problems* problems) {
  Ctx ctx{route_config, problems};
  for (int i = 0; i < filters.size(); ++i) {
    const HttpFilter& f = filters[i];
    const std::string path = absl::StrCat(base, "[", i, "]");
    switch (f.config_case()) {
      case HttpFilter::kAccessControl: checkAccessControl(ctx, path + ".access_control", f.access_control()); break;
      case HttpFilter::kCors: checkCors(ctx, path + ".cors", f.cors()); break;
      case HttpFilter::kLocalRateLimit: checkLocalRateLimit(ctx, path + ".local_rate_limit", f.local_rate_limit()); break;
      case HttpFilter::CONFIG_NOT_SET:
        ctx.add(path, "one of access_control, cors, local_rate_limit, cache, compression is required");
        break;
      default: break;  // the other filters check their own
    }
  }
}

}  // namespace strait::xds::internal
