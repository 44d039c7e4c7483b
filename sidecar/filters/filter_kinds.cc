#include "sidecar/filters/filter_kinds.h"

#include "sidecar/filters/access_control/access_control_validate.h"
#include "sidecar/filters/cache/cache_validate.h"
#include "sidecar/filters/compression/compression_validate.h"
#include "sidecar/filters/cors/cors_validate.h"
#include "sidecar/filters/local_rate_limit/local_rate_limit_validate.h"
#include "sidecar/filters/waf/waf_validate.h"

namespace strait::filters {

using strait::v1::HttpFilter;

namespace {

// One row per filter kind: adding a filter is one row here.
constexpr FilterKind kKinds[] = {
    {HttpFilter::kAccessControl, "access_control",
     [](const HttpFilter& f, const std::string& base, xds::FieldProblems& p) {
       validateAccessControl(f.access_control(), base, p);
     }},
    {HttpFilter::kCors, "cors",
     [](const HttpFilter& f, const std::string& base, xds::FieldProblems& p) { validateCors(f.cors(), base, p); }},
    {HttpFilter::kLocalRateLimit, "local_rate_limit",
     [](const HttpFilter& f, const std::string& base, xds::FieldProblems& p) {
       validateLocalRateLimit(f.local_rate_limit(), base, p);
     }},
    {HttpFilter::kCache, "cache",
     [](const HttpFilter& f, const std::string& base, xds::FieldProblems& p) { validateCache(f.cache(), base, p); }},
    {HttpFilter::kCompression, "compression",
     [](const HttpFilter& f, const std::string& base, xds::FieldProblems& p) {
       validateCompression(f.compression(), base, p);
     }},
    {HttpFilter::kWaf, "waf",
     [](const HttpFilter& f, const std::string& base, xds::FieldProblems& p) { validateWaf(f.waf(), base, p); }},
};

}  // namespace

const FilterKind* findFilterKind(HttpFilter::ConfigCase config_case) {
  for (const FilterKind& k : kKinds) {
    if (k.config_case == config_case) return &k;
  }
  return nullptr;
}

std::string filterKindNames() {
  std::string out;
  for (const FilterKind& k : kKinds) {
    if (!out.empty()) out += ", ";
    out.append(k.name.data(), k.name.size());
  }
  return out;
}

}  // namespace strait::filters
