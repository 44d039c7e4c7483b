#include "sidecar/filters/registry.h"

#include "sidecar/filters/access_control/access_control.h"
#include "sidecar/filters/cache/cache_filter.h"
#include "sidecar/filters/cors/cors.h"
#include "sidecar/filters/local_rate_limit/local_rate_limit.h"
#include "sidecar/filters/compression/compression_filter.h"

namespace strait::filters {

absl::StatusOr<std::shared_ptr<const FilterFactory>> createFilterFactory(const strait::v1::HttpFilter& config,
                                                                         const FactoryContext& context) {
  switch (config.config_case()) {
    case strait::v1::HttpFilter::kCache:
      return cache::createCacheFactory(config.cache(), context.shared, context.scope);
    case strait::v1::HttpFilter::CONFIG_NOT_SET:
      return absl::InvalidArgumentError("filter: one of access_control, cors, local_rate_limit, cache, "
                                        "compression is required");
    case strait::v1::HttpFilter::kAccessControl:
      return createAccessControlFactory(config.access_control(), context);
    case strait::v1::HttpFilter::kCors:
      return createCorsFactory(config.cors(), context);
    case strait::v1::HttpFilter::kLocalRateLimit:
      return createLocalRateLimitFactory(config.local_rate_limit(), context);
    case strait::v1::HttpFilter::kCompression:
      return compression::createCompressionFilterFactory(config.compression());
    default:
      return absl::UnimplementedError("filter: this filter kind is not implemented yet");
  }
}

}  // namespace strait::filters
