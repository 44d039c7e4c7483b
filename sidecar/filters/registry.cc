#include "sidecar/filters/registry.h"

#include <string>

#include "sidecar/filters/access_control/access_control.h"
#include "sidecar/filters/cache/cache_filter.h"
#include "sidecar/filters/compression/compression_filter.h"
#include "sidecar/filters/cors/cors.h"
#include "sidecar/filters/filter_kinds.h"
#include "sidecar/filters/local_rate_limit/local_rate_limit.h"
#include "sidecar/filters/waf/waf_filter.h"

namespace strait::filters {
namespace {

using strait::v1::HttpFilter;
using Factory = absl::StatusOr<std::shared_ptr<const FilterFactory>>;

// One row per filter: its oneof case and how its folder builds its factory (validation is
// the filter's too: filter_kinds.h).
struct FactoryRow {
  HttpFilter::ConfigCase config_case;
  Factory (*create)(const HttpFilter& config, const FactoryContext& context);
};

constexpr FactoryRow kFactories[] = {
    {HttpFilter::kAccessControl,
     [](const HttpFilter& c, const FactoryContext& ctx) { return createAccessControlFactory(c.access_control(), ctx); }},
    {HttpFilter::kCors, [](const HttpFilter& c, const FactoryContext& ctx) { return createCorsFactory(c.cors(), ctx); }},
    {HttpFilter::kLocalRateLimit,
     [](const HttpFilter& c, const FactoryContext& ctx) { return createLocalRateLimitFactory(c.local_rate_limit(), ctx); }},
    {HttpFilter::kCache,
     [](const HttpFilter& c, const FactoryContext& ctx) { return cache::createCacheFactory(c.cache(), ctx.shared, ctx.scope); }},
    {HttpFilter::kCompression,
     [](const HttpFilter& c, const FactoryContext&) { return compression::createCompressionFilterFactory(c.compression()); }},
    {HttpFilter::kWaf, [](const HttpFilter& c, const FactoryContext& ctx) { return createWafFactory(c.waf(), ctx); }},
};

}  // namespace

Factory createFilterFactory(const HttpFilter& config, const FactoryContext& context) {
  if (config.config_case() == HttpFilter::CONFIG_NOT_SET) {
    return absl::InvalidArgumentError("filter: one of " + filterKindNames() + " is required");
  }
  for (const FactoryRow& row : kFactories) {
    if (row.config_case == config.config_case()) return row.create(config, context);
  }
  return absl::UnimplementedError("filter: this filter kind is not implemented yet");
}

}  // namespace strait::filters
