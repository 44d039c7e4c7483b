#include "sidecar/filters/registry.h"

#include "sidecar/filters/compression/compression_filter.h"

namespace strait::filters {

absl::StatusOr<std::shared_ptr<const FilterFactory>> createFilterFactory(const strait::v1::HttpFilter& config,
                                                                         const FactoryContext& context) {
  (void)context;
  switch (config.config_case()) {
    case strait::v1::HttpFilter::CONFIG_NOT_SET:
      return absl::InvalidArgumentError("filter: one of access_control, cors, local_rate_limit, cache, "
                                        "compression is required");
    case strait::v1::HttpFilter::kCompression:
      return compression::createCompressionFilterFactory(config.compression());
    default:
      return absl::UnimplementedError("filter: this filter kind is not implemented yet");
  }
}

}  // namespace strait::filters
